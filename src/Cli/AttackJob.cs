using System.Diagnostics;
using System.Globalization;
using AttackCore.Attacks;
using AttackCore.Attacks.Square;
using AttackCore.Engine;
using AttackCore.Gradients;
using AttackCore.Imaging;
using AttackCore.Models;
using AttackCore.Models.Remote;
using AttackCore.Reporting;
using AttackCore.Transfer;
using Microsoft.Extensions.Logging;

namespace AttackCli;

/// <summary>Runs the attack command: resolves the model, attacks the inputs in batches, writes results and prints a summary.</summary>
internal sealed class AttackJob(AttackJobSettings settings, TextWriter output, TextWriter errors)
{
    private const int ExitOk = 0;
    private const int ExitInputFailed = 1;
    private const int ExitUsage = 2;
    private const int ExitInterrupted = 130;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset startedUtc = DateTimeOffset.UtcNow;
        AttackSettings attackSettings;
        AttackRequest request;
        try
        {
            (attackSettings, request) = BuildRequest();
        }
        catch (ArgumentException ex)
        {
            await errors.WriteLineAsync($"error: {UserMessage(ex)}").ConfigureAwait(false);
            return ExitUsage;
        }

        if (OutputFolderProblem(settings.OutDir) is string outProblem)
        {
            // Found now, not when the first result is written after minutes of attacking.
            await errors.WriteLineAsync($"error: --out {settings.OutDir}: {outProblem}").ConfigureAwait(false);
            return ExitUsage;
        }

        StoppedRun? stopped;
        try
        {
            stopped = StoppedRun.Load(settings.OutDir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or System.Text.Json.JsonException)
        {
            await errors.WriteLineAsync($"error: --out {settings.OutDir} holds a stopped run that cannot be read ({ex.Message}); delete {Path.Combine(settings.OutDir, StoppedRun.FolderName)} to start over.").ConfigureAwait(false);
            return ExitUsage;
        }

        if (settings.Resume && stopped is null)
        {
            await errors.WriteLineAsync($"error: --resume: {settings.OutDir} holds no stopped run (no {StoppedRun.FolderName}/); run without --resume.").ConfigureAwait(false);
            return ExitUsage;
        }

        (List<InputFile> inputs, List<string> missing) = InputCollector.Collect(settings.Inputs, settings.Recursive, settings.OutDir);
        var rows = new List<SummaryRow>();
        var audited = new List<AuditImageInput>();
        foreach (string name in missing)
        {
            rows.Add(SummaryRow.Failed(name, $"not found: no file or folder \"{name}\""));
            audited.Add(new AuditImageInput(name, name, null, null, "NotFound", $"no file or folder \"{name}\""));
        }

        if (inputs.Count == 0 && missing.Count == 0)
        {
            await errors.WriteLineAsync($"error: no images found in {string.Join(", ", settings.Inputs)} (looked for {string.Join(" ", InputCollector.ImageExtensions)}{(settings.Recursive ? string.Empty : "; add --recursive for sub-folders")}).").ConfigureAwait(false);
            return ExitInputFailed;
        }

        if (inputs.Count == 0)
        {
            // Every argument names nothing: say so now rather than load (or download) a model first.
            SummaryRow.WriteTable(output, rows, Path.GetFullPath(settings.OutDir));
            return ExitInputFailed;
        }

        using ILoggerFactory loggers = LoggerFactory.Create(b => b
            .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = null; })
            .SetMinimumLevel(settings.Verbose ? LogLevel.Debug : LogLevel.Error));
        IClassifier classifier;
        ModelInfo modelInfo;
        ModelSpec modelSpec;
        RemoteClassifier? remote = null;
        using var remoteHttp = new HttpClient { Timeout = Timeout.InfiniteTimeSpan }; // the remote pipeline times each attempt
        OnnxGradientModel? gradients = null;
        var transferClassifiers = new List<OnnxClassifier>();
        var surrogates = new List<OnnxGradientModel>();
        try
        {
            ModelSpec spec = await ResolveModelAsync(settings.Model, settings.Preset, "--preset", "--model", cancellationToken).ConfigureAwait(false);
            var runtime = new OnnxClassifierOptions { Provider = settings.Provider, MaxBatch = Math.Max(1, settings.Batch) };
            modelSpec = spec;
            if (spec.Remote is not null)
            {
                if (request.Attacks.FirstOrDefault(a => a.UsesGradients) is { } whiteBox)
                {
                    throw new ModelSpecException($"{whiteBox.AttackName} is a white-box attack and needs the model's gradients; {settings.Model} describes a remote model that only answers queries. Use a black-box attack.");
                }

                remote = new RemoteClassifier(spec, remoteHttp, logger: loggers.CreateLogger<RemoteClassifier>());
                (classifier, modelInfo) = (remote, ModelDescription.From(remote));
            }
            else
            {
                var onnx = new OnnxClassifier(spec, runtime, loggers.CreateLogger<OnnxClassifier>());
                (classifier, modelInfo) = (onnx, ModelDescription.From(onnx));
                if (request.Attacks.Any(a => a.UsesGradients))
                {
                    // White-box attacks: the same model's derived gradient graph (built once, then read from the cache).
                    gradients = new OnnxGradientModel(spec, runtime, settings.CacheDir is null ? null : Path.Combine(settings.CacheDir, "gradients"), loggers.CreateLogger<OnnxGradientModel>());
                }
            }

            for (int t = 0; t < settings.TransferModels.Length; t++)
            {
                string? transferPreset = settings.TransferPresets.Length > 0 ? settings.TransferPresets[t] : null;
                ModelSpec transferSpec = await ResolveModelAsync(settings.TransferModels[t], transferPreset, "--transfer-preset", "--transfer-model", cancellationToken).ConfigureAwait(false);
                if (transferSpec.Remote is not null)
                {
                    throw new ModelSpecException($"--transfer-model {settings.TransferModels[t]} describes a remote model; transfer targets are ONNX files (give a .onnx, a .json with onnxPath, or a preset).");
                }

                transferClassifiers.Add(new OnnxClassifier(transferSpec, new OnnxClassifierOptions { Provider = settings.Provider }, loggers.CreateLogger<OnnxClassifier>()));
            }

            if (request.Attacks.Any(a => a.UsesSurrogates))
            {
                surrogates.AddRange(await LoadSurrogatesAsync(classifier, runtime, loggers, cancellationToken).ConfigureAwait(false));
            }
            else if (settings.Surrogates.Length > 0)
            {
                await errors.WriteLineAsync($"note: --surrogate is only used by attacks that craft on surrogates ({string.Join(", ", AttackCatalog.Names.Where(n => ((AttackOptions)Activator.CreateInstance(AttackCatalog.OptionsType(n)!)!).UsesSurrogates))}); this plan has none, so it is not loaded.").ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is ModelSpecException or ModelUnavailableException or GradientNotSupportedException or InvalidOperationException or IOException or UnauthorizedAccessException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            transferClassifiers.ForEach(c => c.Dispose());
            surrogates.ForEach(s => s.Dispose());
            gradients?.Dispose();
            remote?.Dispose();
            await errors.WriteLineAsync($"error: {UserMessage(ex)}").ConfigureAwait(false);
            return ExitUsage;
        }

        using var transferModels = new OwnedClassifiers(transferClassifiers);
        using var surrogateModels = new OwnedGradientModels(surrogates);
        Dictionary<string, string> trueClasses;
        try
        {
            trueClasses = settings.Labels is null ? [] : TrueLabels.Resolve(settings.Labels, inputs, classifier.Labels, classifier.NumClasses, errors);
        }
        catch (ArgumentException ex)
        {
            (classifier as IDisposable)?.Dispose();
            gradients?.Dispose();
            await errors.WriteLineAsync($"error: {UserMessage(ex)}").ConfigureAwait(false);
            return ExitUsage;
        }

        using OnnxGradientModel? ownedGradients = gradients;
        using (classifier as IDisposable)
        {
            await errors.WriteLineAsync(remote is null
                ? $"Model {modelInfo.Name} (sha256 {modelInfo.Sha256[..12]}…), {modelInfo.Provider}{(modelInfo.ProviderNote is null ? string.Empty : " — " + modelInfo.ProviderNote)}"
                : $"Model {modelInfo.Name}, remote — {modelInfo.ProviderNote}").ConfigureAwait(false);
            string plan = string.Join(" then ", request.Attacks.Select(a => $"{a.AttackName} ({a.Norm.ToString().ToLowerInvariant()} eps {a.Epsilon.ToString("0.#####", Inv)}, {Budget(a)}, seed {a.Seed})"));
            string mode = request.Attacks.Count > 1 ? (request.PlanMode == PlanMode.All ? ", every attack on every image" : ", each on the images not fooled yet") : string.Empty;
            await errors.WriteLineAsync($"Attack: {plan}{mode}, {(request.Target is null ? "untargeted" : "target " + request.Target)}; {inputs.Count} images").ConfigureAwait(false);
            var runner = new AttackRunner(classifier, modelInfo, loggers.CreateLogger<AttackRunner>(), gradients: gradients, surrogates: surrogates.Count > 0 ? surrogates : null);
            foreach (OnnxGradientModel surrogate in surrogates)
            {
                await errors.WriteLineAsync(string.Create(Inv, $"Surrogate {surrogate.Spec.Name} (sha256 {surrogate.ModelSha256[..12]}…), input {surrogate.Spec.InputSize}{(surrogate.Spec.InputSize == classifier.InputHeight ? string.Empty : $", resized from the target's {classifier.InputHeight}x{classifier.InputWidth}")}, {surrogate.ProviderName}")).ConfigureAwait(false);
            }

            var transfer = new TransferEvaluator([.. transferClassifiers.Select(TransferTarget.From)], loggers.CreateLogger<TransferEvaluator>());
            foreach (TransferTarget target in transfer.Targets)
            {
                await errors.WriteLineAsync($"Transfer target {target.Info.Name} (sha256 {target.Info.Sha256[..12]}…), input {target.Info.InputSize}").ConfigureAwait(false);
            }

            var limits = new DecodeLimits { MaxBytes = settings.MaxImageBytes };
            var progress = new ProgressDisplay(errors, inputs.Count);
            string fingerprint = StoppedRun.FingerprintOf(
                System.Text.Json.JsonSerializer.Serialize(attackSettings.Describe(request)),
                [modelInfo.Sha256 + modelInfo.Endpoint, .. surrogates.Select(s => s.ModelSha256), .. transferClassifiers.Select(t => t.ModelSha256)],
                settings.Batch);
            List<InputFile> todo = inputs;
            AttackBatch? resumed = null;
            List<InputFile> resumedInputs = [];
            if (settings.Resume)
            {
                if (stopped!.Fingerprint != fingerprint)
                {
                    progress.Finish();
                    await errors.WriteLineAsync($"error: --resume: the run stopped in {settings.OutDir} used other options or models; resume it with the same command line, or choose another --out.").ConfigureAwait(false);
                    return ExitUsage;
                }

                // Finished images keep their results; the stopped batch goes on from its state; the others run.
                var pending = new HashSet<string>(stopped.PendingInputs, StringComparer.Ordinal);
                todo = [];
                foreach (InputFile input in inputs)
                {
                    string report = Path.Combine(settings.OutDir, input.OutputFolder, "report.json");
                    if (pending.Contains(Path.GetFullPath(input.Path)))
                    {
                        continue;
                    }

                    if (File.Exists(report))
                    {
                        AttackReport finished = ReportJson.Deserialize(await File.ReadAllTextAsync(report, cancellationToken).ConfigureAwait(false));
                        rows.Add(SummaryRow.From(input.Name, finished));
                        audited.Add(new AuditImageInput(input.Name, input.OutputFolder, trueClasses.GetValueOrDefault(input.Name), finished));
                        progress.InputDone();
                    }
                    else
                    {
                        todo.Add(input);
                    }
                }

                if (stopped.Batch is not null)
                {
                    resumed = stopped.LoadBatch();
                    resumedInputs = [.. stopped.PendingInputs.Select(path => inputs.FirstOrDefault(i => Path.GetFullPath(i.Path) == path)
                        ?? throw new InvalidOperationException($"--resume: {path} was being attacked when the run stopped and is not among this run's inputs; give the same inputs."))];
                }

                await errors.WriteLineAsync(string.Create(Inv, $"Resuming: {rows.Count(r => r.Error is null)} images finished before, {resumedInputs.Count} resumed from their saved state, {todo.Count} to attack")).ConfigureAwait(false);
            }
            else if (stopped is not null)
            {
                await errors.WriteLineAsync($"note: {settings.OutDir} held a run stopped before; starting over (add --resume to go on with it instead)").ConfigureAwait(false);
                StoppedRun.Clear(settings.OutDir);
            }

            // Attacks one batch to the end, or until Ctrl-C: then null, and the batch's state is saved.
            // Each image is handed to finishedEarly as soon as the plan is done with it (its folder is written then).
            IReadOnlyList<ImageResult>? Drive(AttackBatch batch, IReadOnlyList<InputFile> batchInputs, Action<int, ImageResult> finishedEarly)
            {
                IProgress<AttackProgress> report = progress.ForBatch();
                report.Report(batch.Progress());
                while (!batch.IsAttackFinished)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        StoppedRun.Save(settings.OutDir, fingerprint, batchInputs, batch);
                        return null;
                    }

                    // Between slices only (at most a second apart): a slice or an attack's closing is never cut short.
                    runner.Advance(batch, new StepBudget(MaxIterations: 25, MaxDuration: TimeSpan.FromSeconds(1)), CancellationToken.None);
                    foreach (int job in runner.CloseFinishedImages(batch))
                    {
                        finishedEarly(job, transfer.Evaluate([runner.ResultOf(batch, job)])[0]);
                    }

                    report.Report(batch.Progress());
                }

                return transfer.Evaluate(runner.Finish(batch, CancellationToken.None));
            }

            var batches = new List<(InputFile[] Inputs, AttackBatch? Resumed)>();
            if (resumed is not null)
            {
                batches.Add(([.. resumedInputs], resumed));
            }

            batches.AddRange(todo.Chunk(Math.Max(1, settings.Batch)).Select(c => (c, (AttackBatch?)null)));
            for (int b = 0; b < batches.Count; b++)
            {
                InputFile[] chunk = batches[b].Inputs;
                if (cancellationToken.IsCancellationRequested)
                {
                    StoppedRun.Save(settings.OutDir, fingerprint, [], null);
                    return await StoppedAsync(progress, rows, audited, batches.Skip(b).SelectMany(x => x.Inputs), saved: 0, attackSettings, request, startedUtc).ConfigureAwait(false);
                }

                var prepared = new List<(InputFile Input, PreparedImage? Image)>();
                if (batches[b].Resumed is not null)
                {
                    prepared.AddRange(chunk.Select(i => (i, (PreparedImage?)null)));   // the state holds the prepared images
                }

                foreach (InputFile input in batches[b].Resumed is null ? chunk : [])
                {
                    try
                    {
                        byte[] data = ReadLimited(input.Path, settings.MaxImageBytes);
                        prepared.Add((input, PreparedImage.Load(input.Name, data, modelSpec, limits)));
                    }
                    catch (InvalidImageException ex)
                    {
                        ResultWriter.WriteError(settings.OutDir, input, ex.Reason.ToString(), ex.Message);
                        rows.Add(SummaryRow.Failed(input.Name, ex.Message));
                        audited.Add(new AuditImageInput(input.Name, input.OutputFolder, trueClasses.GetValueOrDefault(input.Name), null, ex.Reason.ToString(), ex.Message));
                        progress.InputDone();
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        string message = $"cannot read: {ex.Message}";
                        ResultWriter.WriteError(settings.OutDir, input, "Unreadable", message);
                        rows.Add(SummaryRow.Failed(input.Name, message));
                        audited.Add(new AuditImageInput(input.Name, input.OutputFolder, trueClasses.GetValueOrDefault(input.Name), null, "Unreadable", message));
                        progress.InputDone();
                    }
                }

                if (prepared.Count == 0)
                {
                    continue;
                }

                IReadOnlyList<ImageResult>? results;
                RemoteQueryCounts before = remote?.Counts ?? default;
                List<InputFile> batchInputs = [.. prepared.Select(p => p.Input)];
                var written = new HashSet<int>();
                void Write(int i, ImageResult result) => WriteImage(i, result, record: true);
                void WriteImage(int i, ImageResult result, bool record)
                {
                    if (remote is not null)
                    {
                        // The batch's counts so far: one service answers the batch's images mixed in its requests.
                        result = result with { Report = result.Report with { Remote = ModelDescription.Queries(remote, remote.Counts.Since(before), prepared.Count) } };
                    }

                    ResultWriter.WriteResult(settings.OutDir, prepared[i].Input, result);
                    if (!record)
                    {
                        return;
                    }

                    rows.Add(SummaryRow.From(prepared[i].Input.Name, result.Report));
                    audited.Add(new AuditImageInput(prepared[i].Input.Name, prepared[i].Input.OutputFolder, trueClasses.GetValueOrDefault(prepared[i].Input.Name), result.Report));
                    written.Add(i);
                }

                try
                {
                    results = Drive(batches[b].Resumed ?? runner.Begin([.. prepared.Select(p => p.Image!)], request), batchInputs, Write);
                }
                catch (ArgumentException ex)
                {
                    progress.Finish();
                    await errors.WriteLineAsync($"error: {UserMessage(ex)}").ConfigureAwait(false);
                    return ExitUsage;
                }
                catch (RemoteModelException ex)
                {
                    // The service failed for good: this batch has no results; the ones written before it stay.
                    progress.Finish();
                    await errors.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
                    foreach ((InputFile input, _) in prepared)
                    {
                        ResultWriter.WriteError(settings.OutDir, input, "RemoteModelFailed", ex.Message);
                        rows.Add(SummaryRow.Failed(input.Name, ex.Message));
                    }

                    rows.AddRange(inputs.Skip(inputs.IndexOf(chunk[^1]) + 1).Select(i => SummaryRow.Failed(i.Name, "not attacked: the run stopped when the remote model failed")));
                    SummaryRow.WriteTable(output, rows, Path.GetFullPath(settings.OutDir));
                    await WriteRemoteTotalsAsync(remote!).ConfigureAwait(false);
                    return ExitInputFailed;
                }

                if (results is null)
                {
                    var writtenInputs = new HashSet<InputFile>(written.Select(i => prepared[i].Input));
                    List<InputFile> left = [.. batches.Skip(b).SelectMany(x => x.Inputs).Where(i => !writtenInputs.Contains(i))];
                    return await StoppedAsync(progress, rows, audited, left, saved: batchInputs.Count - written.Count, attackSettings, request, startedUtc).ConfigureAwait(false);
                }

                for (int i = 0; i < results.Count; i++)
                {
                    if (!written.Contains(i))
                    {
                        Write(i, results[i]);
                    }
                    else if (remote is not null)
                    {
                        // Written early with the batch's remote counts so far: again, with the whole batch's.
                        WriteImage(i, results[i], record: false);
                    }
                }

                progress.BatchDone(prepared.Count);
            }

            progress.Finish();
            if (remote is not null)
            {
                await WriteRemoteTotalsAsync(remote).ConfigureAwait(false);
            }
        }

        StoppedRun.Clear(settings.OutDir);
        SummaryRow.WriteTable(output, rows, Path.GetFullPath(settings.OutDir));
        if (RunSummary.IsWanted(settings, request, audited.Count))
        {
            RunSummary.Write(output, settings, attackSettings.Describe(request), request, audited, startedUtc);
        }

        return rows.Any(r => r.Error is not null) ? ExitInputFailed : ExitOk;
    }

    /// <summary>
    /// Ends a run that Ctrl-C stopped: the finished images are written already and the state of the batch in flight is
    /// saved; lists what is left, writes a summary of the finished images that says it is partial, and returns 130.
    /// </summary>
    private async Task<int> StoppedAsync(ProgressDisplay progress, List<SummaryRow> rows, List<AuditImageInput> audited, IEnumerable<InputFile> left, int saved, AttackSettings attackSettings, AttackRequest request, DateTimeOffset startedUtc)
    {
        progress.Finish();
        List<InputFile> unfinished = [.. left];
        rows.AddRange(unfinished.Select((i, k) => SummaryRow.Failed(i.Name, k < saved ? "stopped: its state is saved; add --resume to go on" : "not started: add --resume to go on")));
        SummaryRow.WriteTable(output, rows, Path.GetFullPath(settings.OutDir));
        string partial = string.Create(Inv, $"Partial: the run was stopped (Ctrl-C or SIGTERM) with {audited.Count} of {audited.Count + unfinished.Count} inputs finished; this summary covers those. Run the same command with --resume to go on.");
        if (audited.Count > 0 && RunSummary.IsWanted(settings, request, audited.Count + unfinished.Count))
        {
            RunSummary.Write(output, settings, attackSettings.Describe(request), request, audited, startedUtc, partial);
        }

        await errors.WriteLineAsync(string.Create(Inv, $"Stopped: {audited.Count} inputs finished and written, {saved} saved mid-attack, {unfinished.Count - saved} not started. Run the same command with --resume to go on.")).ConfigureAwait(false);
        return ExitInterrupted;
    }

    /// <summary>What an attack may spend, as the run's first lines say it: the zero-query transfer attack spends surrogate gradients, not queries.</summary>
    private static string Budget(AttackOptions attack) => attack is AttackCore.Attacks.Transfer.TransferOptions transfer
        ? string.Create(Inv, $"{transfer.Iterations} iterations on the surrogates, 1 target query per image")
        : string.Create(Inv, $"up to {attack.MaxQueries} queries");

    private async Task WriteRemoteTotalsAsync(RemoteClassifier remote)
    {
        RemoteQueryCounts c = remote.Counts;
        await errors.WriteLineAsync(string.Create(Inv, $"Remote model {remote.Endpoint.Url}: {c.Queries} queries, {c.CacheHits} answered from the cache, {c.Requests} requests sent ({c.Retries} retries, {c.FailedRequests} failed)")).ConfigureAwait(false);
    }

    private (AttackSettings Attack, AttackRequest Request) BuildRequest()
    {
        AttackSettings attack = new AttackSettings().Apply(settings.AttackValues, AttackCommand.CliNames);
        AttackRequest request = attack.ToRequest(AttackCommand.CliNames);
        if (settings.Batch is < 1 or > 1024)
        {
            throw new ArgumentException($"--batch must be between 1 and 1024; got {settings.Batch}.");
        }

        if (settings.TransferPresets.Length > 0 && settings.TransferPresets.Length != settings.TransferModels.Length)
        {
            throw new ArgumentException($"--transfer-preset is given {settings.TransferPresets.Length} times but --transfer-model {settings.TransferModels.Length} times; give one preset per transfer model, in the same order.");
        }

        if (settings.SurrogatePresets.Length > 0 && settings.SurrogatePresets.Length != settings.Surrogates.Length)
        {
            throw new ArgumentException($"--surrogate-preset is given {settings.SurrogatePresets.Length} times but --surrogate {settings.Surrogates.Length} times; give one preset per surrogate, in the same order.");
        }

        if (settings.Surrogates.Length == 0 && request.Attacks.FirstOrDefault(a => a.UsesSurrogates) is { } crafted)
        {
            throw new ArgumentException($"--attack {crafted.AttackName} crafts on surrogate models and none was given: name one or more with --surrogate (a preset, a .onnx file with its .json or a --surrogate-preset, or a .json spec), for example --surrogate mobilenet_v1.onnx --surrogate-preset mobilenet-v1.");
        }

        if (settings.MaxImageBytes <= 0)
        {
            throw new ArgumentException("--max-image-mb must be at least 1.");
        }

        return (attack, request);
    }

    /// <summary>
    /// The message of an error for the person at the terminal: without the " (Parameter 'spec')" that .NET appends to
    /// argument errors, which names an internal parameter, not an option.
    /// </summary>
    internal static string UserMessage(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception is ArgumentException { ParamName: string name } e
            ? e.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal)
            : exception.Message;
    }

    /// <summary>
    /// Loads every <c>--surrogate</c> as a gradient model on the target's pixel grid (resized inside its graph when its
    /// input differs), refusing remote specs and surrogates whose classes differ from the target's.
    /// </summary>
    private async Task<List<OnnxGradientModel>> LoadSurrogatesAsync(IClassifier target, OnnxClassifierOptions runtime, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var loaded = new List<OnnxGradientModel>();
        try
        {
            for (int s = 0; s < settings.Surrogates.Length; s++)
            {
                string? surrogatePreset = settings.SurrogatePresets.Length > 0 ? settings.SurrogatePresets[s] : null;
                ModelSpec spec = await ResolveModelAsync(settings.Surrogates[s], surrogatePreset, "--surrogate-preset", "--surrogate", cancellationToken).ConfigureAwait(false);
                if (spec.Remote is not null)
                {
                    throw new ModelSpecException($"--surrogate {settings.Surrogates[s]} describes a remote model; a surrogate must be a model you own, as an ONNX file (give a .onnx, a .json with onnxPath, or a preset).");
                }

                if (spec.NumClasses != target.NumClasses)
                {
                    throw new ModelSpecException($"--surrogate {settings.Surrogates[s]} has {spec.NumClasses} classes and the target {target.NumClasses}; a surrogate must share the target's classes and label order.");
                }

                loaded.Add(OnnxGradientModel.ForPixelGrid(spec, target.InputHeight, target.InputWidth, target.Channels, runtime, settings.CacheDir is null ? null : Path.Combine(settings.CacheDir, "gradients"), loggers.CreateLogger<OnnxGradientModel>()));
            }

            return loaded;
        }
        catch
        {
            loaded.ForEach(m => m.Dispose());
            throw;
        }
    }

    /// <summary>Resolves a model argument (<c>--model</c>, or one <c>--transfer-model</c>) with its optional preset.</summary>
    private Task<ModelSpec> ResolveModelAsync(string model, string? presetName, string presetOption, string modelOption, CancellationToken cancellationToken) =>
        ModelArgument.ResolveAsync(model, presetName, presetOption, modelOption, settings.CacheDir, errors, cancellationToken);

    /// <summary>Creates the output folder and writes and deletes a probe file in it; says what is wrong, or null.</summary>
    private static string? OutputFolderProblem(string outDir)
    {
        string probe = Path.Combine(outDir, $".advaudit-write-test-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(outDir);
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            string reason = File.Exists(outDir) ? "it is a file, not a folder"
                : ex is UnauthorizedAccessException ? "permission denied"
                : AncestorThatIsAFile(outDir) is string file ? $"{file} is a file, not a folder"
                : ex.Message;
            return $"cannot write results there ({reason}). Choose a folder you can write to.";
        }
    }

    private static string? AncestorThatIsAFile(string path)
    {
        for (string? dir = Path.GetDirectoryName(Path.GetFullPath(path)); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(dir))
            {
                return dir;
            }
        }

        return null;
    }

    private static byte[] ReadLimited(string path, long maxBytes)
    {
        long length = new FileInfo(path).Length;
        if (length > maxBytes)
        {
            throw new InvalidImageException(ImageRejectionReason.TooLarge, $"The file is {length:N0} bytes, above the limit of {maxBytes:N0} bytes: resize or recompress it, or raise --max-image-mb.");
        }

        return File.ReadAllBytes(path);
    }
}
