using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using AttackCore.Gradients;
using AttackCore.Models;

namespace AttackCli;

/// <summary>
/// The <c>serve</c> command: serves a local ONNX model over HTTP in the shape a remote model spec reaches (see
/// <see cref="ModelServer"/>), so that the remote target can be tried, and a model audited as a service, on one machine.
/// </summary>
internal static class ServeCommand
{
    /// <summary>The exit code after Ctrl-C or SIGTERM, the shell's convention for a run stopped by SIGINT.</summary>
    public const int ExitInterrupted = 130;

    public static Command Create(TextWriter output, TextWriter errors)
    {
        var model = new Option<string>("--model", "-m") { Description = "The model to serve: a preset name, a .onnx file (with a .json spec beside it, or --preset), or a .json spec.", Required = true };
        var preset = new Option<string?>("--preset") { Description = "The preset that describes the --model .onnx file." };
        var host = new Option<string>("--host") { Description = "The address to listen on; * for every address of this machine.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port", "-p") { Description = "The port.", DefaultValueFactory = _ => 8080 };
        var keyEnv = new Option<string?>("--key-env") { Description = "Require the header Authorization: Bearer <key>, the key read from this environment variable (as a remote spec's headers send it)." };
        var labelsOnly = new Option<bool>("--labels-only") { Description = "Answer with the top-1 label only ({\"label\": ...}), like a service that hides its scores." };
        var provider = new Option<string>("--provider") { Description = "Execution provider: auto (CUDA when it loads, else CPU), cuda, or cpu.", DefaultValueFactory = _ => "auto" };
        provider.AcceptOnlyFromAmong("auto", "cuda", "cpu");
        var cacheDir = new Option<string?>("--cache-dir") { Description = $"Where downloaded models are kept. Default ${ModelDownloader.CacheEnvironmentVariable} or {ModelDownloader.DefaultCacheDirectory}." };
        var command = new Command(
            "serve",
            "Serve a local model over HTTP: POST /predict with a PNG body (or JSON {\"image\": base64} / {\"images\": [...]}) answers {\"scores\": [...], \"label\": ...}. " +
            "samples/remote/fashion-mnist-remote.json reaches `advaudit serve --model models/fashion-mnist-cnn/model.json --key-env FASHION_API_KEY`. Ctrl-C stops.")
        {
            model, preset, host, port, keyEnv, labelsOnly, provider, cacheDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string? keyName = parse.GetValue(keyEnv);
            string? key = null;
            if (keyName is not null && string.IsNullOrEmpty(key = Environment.GetEnvironmentVariable(keyName)))
            {
                await errors.WriteLineAsync($"error: --key-env names {keyName}, which is not set; export {keyName}=<key> first.").ConfigureAwait(false);
                return 2;
            }

            int portNumber = parse.GetValue(port);
            if (portNumber is < 1 or > 65535)
            {
                await errors.WriteLineAsync($"error: --port must be 1 to 65535; got {portNumber}.").ConfigureAwait(false);
                return 2;
            }

            OnnxClassifier classifier;
            ModelSpec spec;
            try
            {
                spec = await ModelArgument.ResolveAsync(parse.GetValue(model)!, parse.GetValue(preset), "--preset", "--model", parse.GetValue(cacheDir), errors, cancellationToken).ConfigureAwait(false);
                if (spec.Remote is not null)
                {
                    throw new ModelSpecException($"{parse.GetValue(model)} describes a remote model; serve an ONNX model (a .onnx, a .json with onnxPath, or a preset).");
                }

                var runtime = new OnnxClassifierOptions
                {
                    Provider = parse.GetValue(provider) switch { "cuda" => ExecutionProviderKind.Cuda, "cpu" => ExecutionProviderKind.Cpu, _ => ExecutionProviderKind.Auto },
                };
                classifier = new OnnxClassifier(spec, runtime);
            }
            catch (Exception ex) when (ex is ModelSpecException or ModelUnavailableException or GradientNotSupportedException or InvalidOperationException or IOException or UnauthorizedAccessException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
            {
                await errors.WriteLineAsync($"error: {AttackJob.UserMessage(ex)}").ConfigureAwait(false);
                return 2;
            }

            using (classifier)
            {
                string address = parse.GetValue(host)!;
                ModelServer server;
                try
                {
                    server = new ModelServer(classifier, spec, address == "*" ? "+" : address, portNumber, key, parse.GetValue(labelsOnly), errors);
                }
                catch (HttpListenerException e)
                {
                    await errors.WriteLineAsync($"error: cannot listen on {address}:{portNumber}: {e.Message}. Choose another --port, or stop what uses it.").ConfigureAwait(false);
                    return 2;
                }

                // Ctrl-C and SIGTERM stop the server between requests (the process would otherwise die mid-answer).
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                void Stop(PosixSignalContext signal)
                {
                    signal.Cancel = true;
                    stop.Cancel();
                }

                using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
                using PosixSignalRegistration terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
                using (server)
                {
                    await output.WriteLineAsync($"Serving {spec.Name} ({classifier.Channels}x{classifier.InputHeight}x{classifier.InputWidth}, {classifier.NumClasses} classes, {classifier.ProviderName}) at {server.Url}{(key is null ? string.Empty : $" (requires Authorization: Bearer ${keyName})")}. Ctrl-C stops.").ConfigureAwait(false);
                    await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    await server.RunAsync(stop.Token).ConfigureAwait(false);
                    await output.WriteLineAsync($"Stopped after {server.Requests} requests.").ConfigureAwait(false);
                }
            }

            return ExitInterrupted;
        });
        return command;
    }
}
