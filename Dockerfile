# The Functions app image for the GPU hosting (Azure Functions on Azure Container Apps, serverless GPU).
# Built in the cloud by infra/deploy.sh with `az acr build` (no local Docker needed):
#   az acr build --registry <registry> --image advaudit-functions:<tag> --file Dockerfile .
#
# The Functions .NET isolated base image plus the NVIDIA libraries that Microsoft.ML.OnnxRuntime.Gpu 1.31's CUDA
# provider loads: the CUDA 13 runtime (libcudart.so.13), cuBLAS (libcublas.so.13, libcublasLt.so.13), cuRAND
# (libcurand.so.10) and cuDNN 9 (libcudnn*.so.9). The GPU driver (libcuda.so.1) is not in the image: the Container
# Apps GPU host mounts it into the container at run time.

# Tags to check when bumping: https://mcr.microsoft.com/v2/azure-functions/dotnet-isolated/tags/list
ARG FUNCTIONS_IMAGE=mcr.microsoft.com/azure-functions/dotnet-isolated:4-dotnet-isolated10.0
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0

FROM ${SDK_IMAGE} AS build
WORKDIR /src
# Only what the Functions app is built from (the ImageNet labels are embedded into AttackCore).
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props host.json ./
COPY models/imagenet_labels.txt models/
COPY src/AttackCore/ src/AttackCore/
COPY src/Functions/ src/Functions/
# The Event Grid-only build: the polling blob trigger is compiled out (Azure delivers uploads through Event Grid, and
# the Container Apps scaler scales blob triggers only on Event Grid). DURABLE_BACKEND=DurableTaskScheduler adds the
# Durable Task Scheduler storage provider (infra/deploy.sh --durable-backend scheduler passes it).
ARG DURABLE_BACKEND=AzureStorage
RUN dotnet publish src/Functions/Functions.csproj --configuration Release --output /home/site/wwwroot \
        -p:EventGridTriggerOnly=true -p:DurableBackend=${DURABLE_BACKEND}

FROM ${FUNCTIONS_IMAGE}
# CUDA 13.0 packages from NVIDIA's apt repository for the base image's distribution (debian12, ubuntu2404, ...).
ARG CUDA_PACKAGE_VERSION=13-0
ARG CUDNN_PACKAGE=libcudnn9-cuda-13
RUN set -eux; \
    . /etc/os-release; \
    repo="${ID}$(echo "${VERSION_ID}" | tr -d .)"; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates curl; \
    curl -fsSL -o /tmp/cuda-keyring.deb "https://developer.download.nvidia.com/compute/cuda/repos/${repo}/x86_64/cuda-keyring_1.1-1_all.deb"; \
    dpkg -i /tmp/cuda-keyring.deb; \
    rm /tmp/cuda-keyring.deb; \
    apt-get update; \
    apt-get install -y --no-install-recommends \
        "cuda-cudart-${CUDA_PACKAGE_VERSION}" \
        "libcublas-${CUDA_PACKAGE_VERSION}" \
        "libcurand-${CUDA_PACKAGE_VERSION}" \
        "${CUDNN_PACKAGE}"; \
    apt-get purge -y --auto-remove curl; \
    rm -rf /var/lib/apt/lists/*; \
    echo /usr/local/cuda-13.0/targets/x86_64-linux/lib > /etc/ld.so.conf.d/zz-advaudit-cuda.conf; \
    ldconfig

ENV AzureWebJobsScriptRoot=/home/site/wwwroot \
    AzureFunctionsJobHost__Logging__Console__IsEnabled=true \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility

COPY --from=build /home/site/wwwroot /home/site/wwwroot

# Fail the build, not the first audit, when a library the CUDA provider needs is missing (libcuda.so.1 comes from
# the GPU host at run time), or when cuDNN 9 (loaded on demand, so not in ldd's list) is absent.
RUN set -eu; \
    provider="$(find /home/site/wwwroot -name libonnxruntime_providers_cuda.so | head -n 1)"; \
    test -n "${provider}" || { echo "libonnxruntime_providers_cuda.so is not in the published app"; exit 1; }; \
    missing="$(ldd "${provider}" | grep 'not found' | grep -v 'libcuda\.so\.1' || true)"; \
    if [ -n "${missing}" ]; then echo "CUDA provider libraries missing:"; echo "${missing}"; exit 1; fi; \
    ldconfig -p | grep -q 'libcudnn\.so\.9' || { echo "cuDNN 9 (libcudnn.so.9) not found"; exit 1; }
