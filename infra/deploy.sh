#!/usr/bin/env bash
# Deploys advaudit to Azure: infra/bicep/main.bicep at subscription scope, the app (image or package), and the Event
# Grid subscription that needs the running app. Idempotent: run it again to update.
#
#   infra/deploy.sh --name <env-name> --location <region> [--hosting gpu|cpu] [--gpu-profile T4|A100]
#                   [-- <more main.bicep parameters as name=value>]
#
# Steps (each is a plain az command you can also run by hand):
#   1. az deployment sub create ... main.bicep            resource group, storage, identity, monitoring, registry,
#                                                          the app (a placeholder image on the first GPU run)
#   2. gpu: az acr build ... Dockerfile                    builds the GPU image in the registry (no local Docker)
#      cpu: dotnet publish + az functionapp deployment source config-zip
#           az functionapp keys set ... blobs_extension    the Flex host keeps its keys in storage; this sets the
#                                                          Event Grid webhook key (the GPU app gets it as a secret)
#   3. waits until the app answers over HTTPS
#   4. az deployment sub create ... main.bicep again       with the image tag and deployEventSubscription=true:
#                                                          Event Grid validates the blob trigger's endpoint
#
# Needs: Azure CLI 2.60+ (logged in: az login), openssl; for --hosting cpu also the .NET 10 SDK and zip.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

name="" location="" hosting="gpu" gpu_profile="Consumption-GPU-NC8as-T4"
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    -n|--name) name="$2"; shift 2 ;;
    -l|--location) location="$2"; shift 2 ;;
    --hosting) hosting="$2"; shift 2 ;;
    --gpu-profile)
      case "$2" in
        T4|t4|Consumption-GPU-NC8as-T4) gpu_profile="Consumption-GPU-NC8as-T4" ;;
        A100|a100|Consumption-GPU-NC24-A100) gpu_profile="Consumption-GPU-NC24-A100" ;;
        *) echo "error: --gpu-profile is T4 or A100, not '$2'" >&2; exit 2 ;;
      esac
      shift 2 ;;
    -h|--help) usage 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "error: unknown argument '$1'" >&2; usage 2 ;;
  esac
done
if [ -z "$name" ] || [ -z "$location" ]; then echo "error: --name and --location are required" >&2; usage 2; fi
case "$hosting" in gpu|cpu) ;; *) echo "error: --hosting is gpu or cpu, not '$hosting'" >&2; exit 2 ;; esac
command -v az >/dev/null || { echo "error: the Azure CLI (az) is required" >&2; exit 1; }
command -v openssl >/dev/null || { echo "error: openssl is required" >&2; exit 1; }
az account show --query id -o tsv >/dev/null || { echo "error: run az login first" >&2; exit 1; }

deployment="advaudit-${name}"
template="infra/bicep/main.bicep"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The blobs_extension system key Event Grid presents to the blob trigger: set ADVAUDIT_BLOBS_EXTENSION_KEY to keep a
# known one; otherwise a new random key each run (the app and the subscription are updated together).
key="${ADVAUDIT_BLOBS_EXTENSION_KEY:-$(openssl rand -hex 32)}"
# Kept out of the command line (and so out of the process list): a parameters file only this user can read.
umask 077
# shellcheck disable=SC2016 # "$schema" is a literal JSON property name.
printf '{"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#","contentVersion":"1.0.0.0","parameters":{"blobsExtensionKey":{"value":"%s"}}}' "$key" >"$work/secure.parameters.json"

# The signed-in user gets Storage Blob Data Contributor, to upload models and images (none for a service principal).
principal_id="$(az ad signed-in-user show --query id -o tsv 2>/dev/null || true)"

# On a re-run, keep the image already deployed for the first deployment instead of the placeholder.
previous_tag="$(az deployment sub show --name "$deployment" --query "properties.parameters.appImageTag.value" -o tsv 2>/dev/null || true)"

deploy() { # $1: appImageTag, $2: deployEventSubscription
  az deployment sub create --name "$deployment" --location "$location" --template-file "$template" \
    --parameters environmentName="$name" location="$location" hosting="$hosting" gpuProfileType="$gpu_profile" \
                 principalId="$principal_id" appImageTag="$1" deployEventSubscription="$2" \
    --parameters "@$work/secure.parameters.json" \
    ${extra[@]+--parameters "${extra[@]}"} \
    --only-show-errors --output none
}
output() { az deployment sub show --name "$deployment" --query "properties.outputs.$1.value" -o tsv; }

echo "1/4 Deploying $template ($hosting) as deployment $deployment in $location..."
deploy "$previous_tag" false
rg="$(output AZURE_RESOURCE_GROUP)"
app="$(output FUNCTION_APP_NAME)"
host="$(output FUNCTION_APP_HOST_NAME)"
tag="$previous_tag"

if [ "$hosting" = gpu ]; then
  registry="$(output AZURE_CONTAINER_REGISTRY_NAME)"
  repository="$(output APP_IMAGE_REPOSITORY)"
  tag="$(date -u +%Y%m%d-%H%M%S)"
  echo "2/4 Building the GPU image $repository:$tag in registry $registry (az acr build)..."
  az acr build --registry "$registry" --image "$repository:$tag" --file Dockerfile . --only-show-errors
  echo "    Deploying the image (the app keeps at least one GPU replica running)..."
  deploy "$tag" false
else
  echo "2/4 Publishing the app package to $app (Flex Consumption, CPU)..."
  command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK is required for --hosting cpu" >&2; exit 1; }
  command -v zip >/dev/null || { echo "error: zip is required for --hosting cpu" >&2; exit 1; }
  dotnet publish src/Functions/Functions.csproj --configuration Release --runtime linux-x64 --self-contained false \
    --output "$work/publish" --nologo -v quiet
  # No GPU on Flex: leave out the CUDA and TensorRT providers (about 285 MB) that only the GPU image uses.
  rm -f "$work"/publish/libonnxruntime_providers_cuda.so "$work"/publish/libonnxruntime_providers_tensorrt.so
  (cd "$work/publish" && zip -qr "$work/functions.zip" .)
  az functionapp deployment source config-zip --resource-group "$rg" --name "$app" --src "$work/functions.zip" --only-show-errors --output none
fi

echo "3/4 Waiting for https://$host to answer..."
for i in $(seq 1 60); do
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "https://$host/" || true)"
  if [ -n "$code" ] && [ "$code" != 000 ] && [ "$code" -lt 500 ]; then break; fi
  [ "$i" -eq 60 ] && { echo "error: https://$host did not answer within 20 minutes; see the app's logs, then run this script again" >&2; exit 1; }
  sleep 20
done
if [ "$hosting" = cpu ]; then
  for i in $(seq 1 10); do
    az functionapp keys set --resource-group "$rg" --name "$app" --key-type systemKeys --key-name blobs_extension \
      --key-value "$key" --only-show-errors --output none && break
    [ "$i" -eq 10 ] && { echo "error: could not set the blobs_extension key on $app" >&2; exit 1; }
    sleep 15
  done
fi

echo "4/4 Subscribing the blob trigger to BlobCreated events of the uploads container (Event Grid)..."
deploy "$tag" true

account="$(output AZURE_STORAGE_ACCOUNT_NAME)"
cat <<DONE

Deployed. Resource group: $rg, function app: $app ($hosting), storage account: $account.
Upload an image:
  az storage blob upload --auth-mode login --account-name $account -c $(output UPLOADS_CONTAINER) -n cats/cat.png -f cat.png
Its results appear under $(output RESULTS_CONTAINER)/cats/cat/ (report.json last):
  az storage blob list --auth-mode login --account-name $account -c $(output RESULTS_CONTAINER) --prefix cats/cat/ -o table
DONE
