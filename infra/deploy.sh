#!/usr/bin/env bash
# Deploys advaudit to Azure: infra/bicep/main.bicep at subscription scope, the app (image or package), and the Event
# Grid subscription that needs the running app. Idempotent: run it again to update.
#
#   infra/deploy.sh --name <env-name> --location <region> [--hosting gpu|cpu] [--gpu-profile T4|A100]
#                   [--durable-backend storage|scheduler] [-- <more main.bicep parameters as name=value>]
#
# Steps (each is a plain az command you can also run by hand):
#   1. az deployment sub create ... main.bicep            resource group, storage, identity, monitoring, registry,
#                                                          the app (a placeholder image on the first GPU run)
#   2. gpu: az acr build ... Dockerfile                    builds the GPU image in the registry (no local Docker)
#      cpu: dotnet publish -p:EventGridTriggerOnly=true    the app without the polling blob trigger (Flex Consumption
#           + az functionapp deployment source config-zip  accepts only Event Grid-sourced blob triggers)
#           az functionapp keys set ... blobs_extension    the Flex host keeps its keys in storage; this sets the
#                                                          Event Grid webhook key (the GPU app gets it as a secret)
#   3. waits until the app answers over HTTPS
#   4. az deployment sub create ... main.bicep again       with the image tag and deployEventSubscription=true:
#                                                          Event Grid validates the blob trigger's endpoint
#
# --durable-backend scheduler (GPU only) keeps the Durable Functions task hub in an Azure-managed Durable Task
# Scheduler instead of the storage account, so Container Apps scales the GPU replicas from zero (README, Scaling).
#
# Needs: Azure CLI 2.60+ (logged in: az login), openssl; for --hosting cpu also the .NET 10 SDK and zip.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

name="" location="" hosting="gpu" gpu_profile="Consumption-GPU-NC8as-T4" durable_backend="azureStorage"
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
    --durable-backend)
      case "$2" in
        storage|azureStorage) durable_backend="azureStorage" ;;
        scheduler|durableTaskScheduler) durable_backend="durableTaskScheduler" ;;
        *) echo "error: --durable-backend is storage or scheduler, not '$2'" >&2; exit 2 ;;
      esac
      shift 2 ;;
    -h|--help) usage 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "error: unknown argument '$1'" >&2; usage 2 ;;
  esac
done
if [ -z "$name" ] || [ -z "$location" ]; then echo "error: --name and --location are required" >&2; usage 2; fi
case "$hosting" in gpu|cpu) ;; *) echo "error: --hosting is gpu or cpu, not '$hosting'" >&2; exit 2 ;; esac
if [ "$hosting" = cpu ] && [ "$durable_backend" != azureStorage ]; then
  echo "error: --durable-backend scheduler is for --hosting gpu (Flex Consumption scales to zero with the storage backend)" >&2; exit 2
fi
command -v az >/dev/null || { echo "error: the Azure CLI (az) is required" >&2; exit 1; }
command -v openssl >/dev/null || { echo "error: openssl is required" >&2; exit 1; }
az account show --query id -o tsv >/dev/null || { echo "error: run az login first" >&2; exit 1; }

deployment="advaudit-${name}"
template="infra/bicep/main.bicep"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# An output of this deployment's previous run (empty on the first run).
previous_output() { az deployment sub show --name "$deployment" --query "properties.outputs.$1.value" -o tsv 2>/dev/null || true; }

# The Functions host keys, generated here, never stored in the repository. On Container Apps (gpu) the host generates
# none: it reads the master key, the default host key and the blobs_extension system key from the app's secrets
# (modules/functions-containerapp.bicep). A later run reads back the secrets an earlier run created, so callers' keys
# and the Event Grid subscription keep working. On Flex Consumption (cpu) the host generates its own master and host
# keys, and the blobs_extension key is set below. ADVAUDIT_MASTER_KEY, ADVAUDIT_HOST_KEY and
# ADVAUDIT_BLOBS_EXTENSION_KEY choose them yourself (at least 32 characters).
previous_secret() { # $1: a Container Apps secret name of the app this deployment created before
  if [ "$hosting" != gpu ] || [ "$(previous_output HOSTING)" != gpu ]; then return 0; fi
  az containerapp secret list --resource-group "$(previous_output AZURE_RESOURCE_GROUP)" --name "$(previous_output FUNCTION_APP_NAME)" \
    --show-values --query "[?name=='$1'].value | [0]" -o tsv 2>/dev/null || true
}
host_key() { # $1: the key chosen by the user, $2: its Container Apps secret name
  local value="$1"
  [ -n "$value" ] || value="$(previous_secret "$2")"
  [ -n "$value" ] || value="$(openssl rand -hex 32)"
  if [ "${#value}" -lt 32 ]; then echo "error: the $2 key must have at least 32 characters" >&2; exit 2; fi
  printf '%s' "$value"
}
master_key="$(host_key "${ADVAUDIT_MASTER_KEY:-}" host-master)"
host_default_key="$(host_key "${ADVAUDIT_HOST_KEY:-}" host-function-default)"
key="$(host_key "${ADVAUDIT_BLOBS_EXTENSION_KEY:-}" host-systemkey-blobs-extension)"
# Kept out of the command line (and so out of the process list): a parameters file only this user can read.
umask 077
# shellcheck disable=SC2016 # "$schema" is a literal JSON property name.
printf '{"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#","contentVersion":"1.0.0.0","parameters":{"hostMasterKey":{"value":"%s"},"hostDefaultKey":{"value":"%s"},"blobsExtensionKey":{"value":"%s"}}}' \
  "$master_key" "$host_default_key" "$key" >"$work/secure.parameters.json"

# The signed-in user gets Storage Blob Data Contributor, to upload models and images (none for a service principal).
principal_id="$(az ad signed-in-user show --query id -o tsv 2>/dev/null || true)"

# On a re-run, keep the image already deployed for the first deployment instead of the placeholder.
previous_tag="$(az deployment sub show --name "$deployment" --query "properties.parameters.appImageTag.value" -o tsv 2>/dev/null || true)"

deploy() { # $1: appImageTag, $2: deployEventSubscription
  az deployment sub create --name "$deployment" --location "$location" --template-file "$template" \
    --parameters environmentName="$name" location="$location" hosting="$hosting" gpuProfileType="$gpu_profile" \
                 durableBackend="$durable_backend" principalId="$principal_id" appImageTag="$1" deployEventSubscription="$2" \
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
  backend_arg="AzureStorage"; [ "$durable_backend" = durableTaskScheduler ] && backend_arg="DurableTaskScheduler"
  az acr build --registry "$registry" --image "$repository:$tag" --file Dockerfile --build-arg "DURABLE_BACKEND=$backend_arg" . --only-show-errors
  echo "    Deploying the image (the app keeps at least one GPU replica running)..."
  deploy "$tag" false
else
  echo "2/4 Publishing the app package to $app (Flex Consumption, CPU)..."
  command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK is required for --hosting cpu" >&2; exit 1; }
  command -v zip >/dev/null || { echo "error: zip is required for --hosting cpu" >&2; exit 1; }
  # EventGridTriggerOnly: Flex Consumption accepts only Event Grid-sourced blob triggers, so the polling trigger is
  # compiled out of the package (src/Functions/Functions.csproj), not merely disabled.
  dotnet publish src/Functions/Functions.csproj --configuration Release --runtime linux-x64 --self-contained false \
    -p:EventGridTriggerOnly=true --output "$work/publish" --nologo -v quiet
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
echo "The API key (the default host key) for https://$host/api/audits, as ?code= or the x-functions-key header:"
if [ "$hosting" = gpu ]; then
  echo "  az containerapp secret list --resource-group $rg --name $app --show-values --query \"[?name=='host-function-default'].value | [0]\" -o tsv"
else
  echo "  az functionapp keys list --resource-group $rg --name $app --query functionKeys.default -o tsv"
fi
