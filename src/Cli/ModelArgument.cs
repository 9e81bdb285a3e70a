using AttackCore.Models;

namespace AttackCli;

/// <summary>Resolves a model argument of the command line (a preset name, a .onnx file, or a .json spec) with an optional preset.</summary>
internal static class ModelArgument
{
    /// <summary>Resolves <paramref name="model"/>, downloading a preset's file into the cache when needed.</summary>
    /// <param name="model">The argument: a preset name, a .onnx file (with a .json beside it), or a .json spec.</param>
    /// <param name="presetName">The preset that describes a .onnx file, or <see langword="null"/>.</param>
    /// <param name="presetOption">The preset's option as the user writes it (for messages).</param>
    /// <param name="modelOption">The model's option as the user writes it (for messages).</param>
    /// <param name="cacheDir">Where downloads are kept, or <see langword="null"/> for the default.</param>
    /// <param name="errors">Where the download bar goes.</param>
    /// <param name="cancellationToken">Stops a download.</param>
    /// <returns>The spec.</returns>
    /// <exception cref="ModelSpecException">The preset is unknown, or the file it describes does not exist.</exception>
    public static async Task<ModelSpec> ResolveAsync(string model, string? presetName, string presetOption, string modelOption, string? cacheDir, TextWriter errors, CancellationToken cancellationToken)
    {
        if (presetName is not null)
        {
            if (!ModelPresets.TryGet(presetName, out ModelSpec? preset))
            {
                throw new ModelSpecException($"Unknown preset \"{presetName}\". Presets: {string.Join(", ", ModelPresets.Names)}.");
            }

            if (!File.Exists(model))
            {
                throw new ModelSpecException($"{presetOption} needs {modelOption} to name an .onnx file; \"{model}\" does not exist.");
            }

            // The preset describes preprocessing and classes; the user's file has its own hash.
            return preset with { OnnxPath = Path.GetFullPath(model), Sha256 = null, DownloadUrl = null };
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
        var resolver = new ModelResolver(http, cacheDir);
        var bar = new DownloadBar(errors);
        return await resolver.ResolveAsync(model, bar, cancellationToken).ConfigureAwait(false);
    }
}
