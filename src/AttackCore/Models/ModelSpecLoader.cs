using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AttackCore.Models;

/// <summary>Reads, validates and locates <see cref="ModelSpec"/> JSON files (<c>model.onnx</c> + <c>model.json</c>).</summary>
/// <remarks>
/// The JSON uses camelCase property names and enum names as strings, for example
/// <c>{"name": "my-inception", "onnxPath": "inception_v3.onnx", "inputSize": 299, "resizeTo": 342,
/// "scaling": "MeanStd", "numClasses": 1000}</c>. Unknown properties are rejected so that a typo does not
/// silently fall back to a default.
/// </remarks>
public static class ModelSpecLoader
{
    /// <summary>Gets the serializer options used for model JSON files (camelCase, indented, unknown members rejected).</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>
    /// Loads and validates a model JSON file; relative <see cref="ModelSpec.OnnxPath"/> and
    /// <see cref="ModelSpec.LabelsPath"/> are resolved against the JSON file's folder.
    /// </summary>
    /// <param name="jsonPath">Path of the JSON file.</param>
    /// <returns>The validated spec with absolute paths.</returns>
    /// <exception cref="ModelSpecException">The file is missing, is not valid JSON, or a value is out of range.</exception>
    public static ModelSpec Load(string jsonPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jsonPath);
        var fullPath = Path.GetFullPath(jsonPath);
        if (!File.Exists(fullPath))
        {
            throw new ModelSpecException($"Model JSON file '{fullPath}' does not exist.");
        }

        ModelSpec? spec;
        try
        {
            spec = JsonSerializer.Deserialize<ModelSpec>(File.ReadAllText(fullPath), JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new ModelSpecException(
                $"Model JSON file '{fullPath}' is invalid: {ex.Message} Required: name, inputSize, numClasses; " +
                "channels 1|3; enums: layout Nchw|Nhwc, channelOrder Rgb|Bgr|Gray, grayConversion Bt601|Bt709|Mean, scaling MeanStd|MinusOneToOne|ZeroToOne, output Logits|Probabilities.",
                ex);
        }

        if (spec is null)
        {
            throw new ModelSpecException($"Model JSON file '{fullPath}' is empty (null).");
        }

        var folder = Path.GetDirectoryName(fullPath)!;
        spec = spec with
        {
            OnnxPath = spec.OnnxPath is null ? null : Path.GetFullPath(spec.OnnxPath, folder),
            LabelsPath = spec.LabelsPath is null ? null : Path.GetFullPath(spec.LabelsPath, folder),
        };
        Validate(spec, fullPath);
        return spec;
    }

    /// <summary>
    /// Finds the description of an ONNX file: a sidecar JSON in the same folder (<c>&lt;name&gt;.json</c>, then
    /// <c>model.json</c>), else a preset whose SHA-256 matches the file (a Model Zoo download placed by hand).
    /// </summary>
    /// <param name="onnxPath">Path of the ONNX file.</param>
    /// <returns>The spec, with <see cref="ModelSpec.OnnxPath"/> set to <paramref name="onnxPath"/>.</returns>
    /// <exception cref="ModelSpecException">The file is missing or nothing describes it; the message shows how to write a sidecar.</exception>
    public static ModelSpec ForOnnxFile(string onnxPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(onnxPath);
        var fullPath = Path.GetFullPath(onnxPath);
        if (!File.Exists(fullPath))
        {
            throw new ModelSpecException(
                $"ONNX file '{fullPath}' does not exist. Give the path of an existing .onnx file (described by a .json spec " +
                $"beside it or by a preset), the path of a .json model spec, or a preset name: {string.Join(", ", ModelPresets.Names)}.");
        }

        var folder = Path.GetDirectoryName(fullPath)!;
        foreach (var candidate in new[] { Path.ChangeExtension(fullPath, ".json"), Path.Combine(folder, "model.json") })
        {
            if (File.Exists(candidate))
            {
                return Load(candidate) with { OnnxPath = fullPath };
            }
        }

        var sha = ComputeSha256(fullPath);
        foreach (var name in ModelPresets.Names)
        {
            if (ModelPresets.TryGet(name, out var preset) &&
                string.Equals(preset.Sha256, sha, StringComparison.OrdinalIgnoreCase))
            {
                return preset with { OnnxPath = fullPath };
            }
        }

        var example = JsonSerializer.Serialize(
            ModelPresets.InceptionV3Torchvision with { Name = "my-model", OnnxPath = Path.GetFileName(fullPath) },
            JsonOptions);
        throw new ModelSpecException(
            $"No description found for ONNX file '{fullPath}'. {PresetSuggestion(fullPath)}Write '{Path.ChangeExtension(fullPath, ".json")}' " +
            $"(or 'model.json' in the same folder) describing its preprocessing, for example:{Environment.NewLine}{example}{Environment.NewLine}" +
            $"or use a preset name instead of a path: {string.Join(", ", ModelPresets.Names)}.");
    }

    /// <summary>
    /// Says which presets match the file's declared input size, layout and class count (read from the ONNX graph's
    /// input and output shapes), as a sentence ending with a space; empty when the shapes are not declared.
    /// </summary>
    /// <param name="onnxPath">The ONNX file.</param>
    /// <returns>The suggestion, or an empty string.</returns>
    internal static string PresetSuggestion(string onnxPath)
    {
        IReadOnlyList<OnnxTensorInfo> inputs, outputs;
        try
        {
            byte[] model = File.ReadAllBytes(onnxPath);
            (inputs, outputs) = (OnnxModelEditor.ReadInputs(model), OnnxModelEditor.ReadOutputs(model));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or Google.Protobuf.InvalidProtocolBufferException)
        {
            return string.Empty;
        }

        if (inputs.Count == 0 || outputs.Count == 0 || inputs[0].Dims is not { Count: 4 } d || outputs[0].Dims is not { Count: >= 1 } o || o[^1].Value is not long classes)
        {
            return string.Empty;
        }

        (TensorLayout Layout, long? Height, long? Width)? shape = (d[1].Value, d[3].Value) switch
        {
            (1 or 3, _) => (TensorLayout.Nchw, d[2].Value, d[3].Value),
            (_, 1 or 3) => (TensorLayout.Nhwc, d[1].Value, d[2].Value),
            _ => null,
        };
        if (shape is not { Height: long h, Width: long w } known || h != w)
        {
            return string.Empty;
        }

        string described = $"It takes {h}x{w} images ({known.Layout.ToString().ToUpperInvariant()}) and gives {classes} scores";
        string[] matches = [.. ModelPresets.Names.Where(n => ModelPresets.TryGet(n, out ModelSpec? p) && p.InputSize == h && p.NumClasses == classes && p.Layout == known.Layout).Distinct(StringComparer.OrdinalIgnoreCase)];
        return matches.Length == 0
            ? $"{described}; no preset has that input and class count. "
            : $"{described}, as the preset{(matches.Length > 1 ? "s" : string.Empty)} {string.Join(", ", matches)} {(matches.Length > 1 ? "do" : "does")}: if the file is {(matches.Length > 1 ? "one of those models" : "that model")}, name the preset (on the command line: --preset {matches[0]}; each preset's preprocessing is in the README). ";
    }

    /// <summary>Checks every field of <paramref name="spec"/> against its allowed range.</summary>
    /// <param name="spec">The spec to check.</param>
    /// <param name="source">Where the spec came from, for the message (a file path or preset name).</param>
    /// <exception cref="ModelSpecException">A field is out of range; the message names it and the allowed values.</exception>
    public static void Validate(ModelSpec spec, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var where = source is null ? $"Model '{spec.Name}'" : $"Model '{spec.Name}' ({source})";
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(spec.Name))
        {
            errors.Add("name must be a non-empty string");
        }

        if (spec.InputSize <= 0)
        {
            errors.Add(Invariant($"inputSize must be > 0 (got {spec.InputSize})"));
        }

        if (spec.ResizeTo is { } resize && resize < spec.InputSize)
        {
            errors.Add(Invariant($"resizeTo must be >= inputSize ({spec.InputSize}) or omitted (got {resize})"));
        }

        if (!Enum.IsDefined(spec.Crop))
        {
            errors.Add($"crop must be one of {string.Join(", ", Enum.GetNames<CropRule>())}");
        }

        if (!Enum.IsDefined(spec.Interpolation))
        {
            errors.Add($"interpolation must be one of {string.Join(", ", Enum.GetNames<ResizeFilter>())}");
        }

        if (spec.Crop == CropRule.CentralFraction)
        {
            if (spec.CentralFraction is { } fraction && !(fraction > 0 && fraction <= 1))
            {
                errors.Add(Invariant($"centralFraction must be in (0, 1] (got {fraction})"));
            }

            if (spec.ResizeTo is not null)
            {
                errors.Add("resizeTo is not used with crop CentralFraction (the central region is resized to inputSize); omit it");
            }

            if (spec.Interpolation != ResizeFilter.Bilinear)
            {
                errors.Add(Invariant($"interpolation must be Bilinear with crop CentralFraction, as TF-slim resizes (got {spec.Interpolation})"));
            }
        }
        else if (spec.CentralFraction is not null)
        {
            errors.Add("centralFraction is used only with crop CentralFraction; omit it or set crop");
        }

        if (spec.NumClasses <= 0)
        {
            errors.Add(Invariant($"numClasses must be > 0 (got {spec.NumClasses})"));
        }

        if (spec.BackgroundOffset < 0 || (spec.NumClasses > 0 && spec.BackgroundOffset >= spec.NumClasses))
        {
            errors.Add(Invariant($"backgroundOffset must be in [0, numClasses - 1] = [0, {Math.Max(0, spec.NumClasses - 1)}] (got {spec.BackgroundOffset})"));
        }

        if (spec.Channels is { } channels && channels != 1 && channels != 3)
        {
            errors.Add(Invariant($"channels must be 1 (gray) or 3 (colour), or omitted to read it from the model (got {channels})"));
        }

        if (spec.Channels == 1 && spec.ChannelOrder == ChannelOrder.Bgr)
        {
            errors.Add("channelOrder Bgr needs a 3-channel input; a 1-channel model is gray (channelOrder Gray, or omit it)");
        }

        if (!Enum.IsDefined(spec.GrayConversion))
        {
            errors.Add($"grayConversion must be one of {string.Join(", ", Enum.GetNames<GrayConversion>())}");
        }

        // One mean and std serve every channel of a gray input; a colour model needs one per channel, and a
        // one-channel input cannot use three.
        // (A gray spec that leaves channels to the model may get either until the model says.)
        int[] allowed = spec.Channels == 1 ? [1] : spec.ChannelOrder == ChannelOrder.Gray ? [1, 3] : [3];
        string counts = allowed.Length == 1 ? Invariant($"{allowed[0]} value{(allowed[0] == 1 ? string.Empty : "s")}") : "1 or 3 values";
        string meaning = spec.Channels == 1 ? "the gray channel in [0, 1] units" : "R, G, B in [0, 1] units, or one value for a gray model";
        bool checkCounts = spec.Scaling == InputScaling.MeanStd;
        if (spec.Mean is null || (checkCounts ? !allowed.Contains(spec.Mean.Count) : spec.Mean.Count is not (1 or 3)))
        {
            errors.Add(Invariant($"mean must have {(checkCounts ? counts : "1 or 3 values")} ({meaning}) (got {spec.Mean?.Count ?? 0})"));
        }
        else if (spec.Mean.Any(m => !float.IsFinite(m)))
        {
            errors.Add("mean values must be finite numbers");
        }

        if (spec.Std is null || (checkCounts ? !allowed.Contains(spec.Std.Count) : spec.Std.Count is not (1 or 3)))
        {
            errors.Add(Invariant($"std must have {(checkCounts ? counts : "1 or 3 values")} ({meaning}) (got {spec.Std?.Count ?? 0})"));
        }
        else if (spec.Std.Any(s => !(s > 0) || !float.IsFinite(s)))
        {
            errors.Add($"std values must be > 0 (got {string.Join(", ", spec.Std.Select(s => s.ToString(CultureInfo.InvariantCulture)))})");
        }
        else if (spec.Mean is not null && spec.Mean.Count != spec.Std.Count)
        {
            errors.Add(Invariant($"mean and std must have as many values (got {spec.Mean.Count} and {spec.Std.Count})"));
        }

        if (!Enum.IsDefined(spec.Layout))
        {
            errors.Add($"layout must be one of {string.Join(", ", Enum.GetNames<TensorLayout>())}");
        }

        if (!Enum.IsDefined(spec.ChannelOrder))
        {
            errors.Add($"channelOrder must be one of {string.Join(", ", Enum.GetNames<ChannelOrder>())}");
        }

        if (!Enum.IsDefined(spec.Scaling))
        {
            errors.Add($"scaling must be one of {string.Join(", ", Enum.GetNames<InputScaling>())}");
        }

        if (!Enum.IsDefined(spec.Output))
        {
            errors.Add($"output must be one of {string.Join(", ", Enum.GetNames<OutputKind>())}");
        }

        if (spec.Sha256 is { } sha && (sha.Length != 64 || !sha.All(Uri.IsHexDigit)))
        {
            errors.Add($"sha256 must be 64 hexadecimal digits (got '{sha}')");
        }

        if (spec.Remote is { } remote)
        {
            if (spec.OnnxPath is not null || spec.DownloadUrl is not null)
            {
                errors.Add("a remote model has no onnxPath or downloadUrl: the service at remote.url answers for it");
            }

            if (remote.Url is null)
            {
                errors.Add("remote.url is required");
            }
            else
            {
                errors.AddRange(remote.Problems());
            }
        }

        if (errors.Count > 0)
        {
            throw new ModelSpecException($"{where} is invalid: {string.Join("; ", errors)}.");
        }
    }

    /// <summary>
    /// Fills <see cref="ModelSpec.Channels"/> from the ONNX input's declared shape (the channel dimension of
    /// <see cref="ModelSpec.Layout"/>) and checks the result: a declared 1 or 3 wins, a spec that says otherwise is an
    /// error, and an undeclared dimension keeps the spec's value.
    /// </summary>
    /// <param name="spec">The spec.</param>
    /// <param name="inputs">The model's declared inputs (<see cref="OnnxModelEditor.ReadInputs"/>).</param>
    /// <returns>The spec with <see cref="ModelSpec.Channels"/> set when the model declares it.</returns>
    /// <exception cref="ModelSpecException">The spec contradicts the model, or the result is invalid.</exception>
    public static ModelSpec ResolveChannels(ModelSpec spec, IReadOnlyList<OnnxTensorInfo> inputs)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(inputs);
        var input = inputs.FirstOrDefault(i => spec.InputName is null || i.Name == spec.InputName);
        if (input is { Dims.Count: 4 } && input.Dims[spec.Layout == TensorLayout.Nchw ? 1 : 3].Value is long declared && declared is 1 or 3)
        {
            if (spec.Channels is int given && given != declared)
            {
                throw new ModelSpecException(Invariant(
                    $"Model '{spec.Name}': the spec says channels {given} but input '{input.Name}' declares {declared} channels ([{string.Join(", ", input.Dims)}], layout {spec.Layout}). Remove channels from the spec or fix it."));
            }

            spec = spec with { Channels = (int)declared };
        }

        Validate(spec);
        return spec;
    }

    /// <summary>Computes the lower-case hex SHA-256 of a file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>64 lower-case hex digits.</returns>
    public static string ComputeSha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
