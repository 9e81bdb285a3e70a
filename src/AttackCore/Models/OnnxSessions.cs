using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace AttackCore.Models;

/// <summary>
/// Creates ONNX Runtime sessions the way every model of the engine is run: CUDA when requested or available
/// (falling back to CPU with the reason logged), the same optimization level and threads, so the classifier and
/// the gradient model behave alike on the same options.
/// </summary>
internal static partial class OnnxSessions
{
    public static (InferenceSession Session, string Provider, string Note) Create(byte[] model, OnnxClassifierOptions options, string modelName, ILogger logger)
    {
        string note;
        if (options.Provider != ExecutionProviderKind.Cpu)
        {
            string reason;
            try
            {
                // The environment (and its logger) must exist before the CUDA provider library is loaded, or a
                // load failure surfaces as "Attempt to use DefaultLogger but none has been registered".
                _ = OrtEnv.Instance();
                using var cudaOptions = new OrtCUDAProviderOptions();
                cudaOptions.UpdateOptions(new Dictionary<string, string>
                {
                    ["device_id"] = options.DeviceId.ToString(CultureInfo.InvariantCulture),
                    ["cudnn_conv_algo_search"] = options.CudnnConvAlgoSearch,
                    ["arena_extend_strategy"] = options.ArenaExtendStrategy,
                });
                using var cudaSession = CreateSessionOptions(options);
                cudaSession.AppendExecutionProvider_CUDA(cudaOptions);
                return (new InferenceSession(model, cudaSession), OnnxClassifier.CudaProviderName, Invariant($"CUDA device {options.DeviceId}"));
            }
            catch (Exception ex) when (ex is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
            {
                reason = OnnxClassifier.DescribeProviderError(ex);
            }

            if (options.Provider == ExecutionProviderKind.Cuda)
            {
                throw new InvalidOperationException(
                    $"Provider=Cuda was requested for model '{modelName}' but CUDA is unavailable: {reason}. " +
                    "Install CUDA 13 and cuDNN 9 with a GPU driver, or use Provider=Auto (falls back to CPU) or Provider=Cpu.");
            }

            note = $"CUDA unavailable: {reason}; using CPU";
            LogCudaFallback(logger, modelName, reason);
        }
        else
        {
            note = "CPU requested";
        }

        using var cpu = CreateSessionOptions(options);
        return (new InferenceSession(model, cpu), OnnxClassifier.CpuProviderName, note);
    }

    private static SessionOptions CreateSessionOptions(OnnxClassifierOptions options)
    {
        var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (options.IntraOpThreads > 0)
        {
            sessionOptions.IntraOpNumThreads = options.IntraOpThreads;
        }

        return sessionOptions;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Warning, Message = "CUDA unavailable for model {Model} ({Reason}); using CPU")]
    private static partial void LogCudaFallback(ILogger logger, string model, string reason);
}
