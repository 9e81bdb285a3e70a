namespace AttackCore.Models;

/// <summary>The 1000 ImageNet-1k class labels bundled with AttackCore (ILSVRC2012 order, sorted by WordNet id).</summary>
public static class ImageNetLabels
{
    /// <summary>The manifest name of the embedded labels file.</summary>
    public const string ResourceName = "AttackCore.imagenet_labels.txt";

    /// <summary>The number of ImageNet-1k classes.</summary>
    public const int Count = 1000;

    private static readonly Lazy<IReadOnlyList<string>> Labels = new(ReadResource);

    /// <summary>Returns the bundled labels: index 0 "tench, Tinca tinca" to 999 "toilet tissue, ...".</summary>
    /// <returns>1000 labels, shared and read-only.</returns>
    public static IReadOnlyList<string> Load() => Labels.Value;

    private static string[] ReadResource()
    {
        using var stream = typeof(ImageNetLabels).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource '{ResourceName}' is missing from AttackCore; rebuild with models/imagenet_labels.txt present.");
        using var reader = new StreamReader(stream);
        var lines = LabelSet.SplitLines(reader.ReadToEnd());
        if (lines.Length != Count)
        {
            throw new InvalidOperationException($"Embedded resource '{ResourceName}' has {lines.Length} labels; expected {Count}.");
        }

        return lines;
    }
}
