using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AttackCore.Engine;

namespace AttackCli;

/// <summary>
/// What a run stopped by Ctrl-C (or SIGTERM) leaves in <c>&lt;out&gt;/.advaudit-run/</c> for <c>--resume</c>: the saved
/// state of the batch that was being attacked (<see cref="AttackBatchSerializer"/>, the format the Functions pipeline
/// checkpoints with) and a fingerprint of the options, so a resume with other options is refused instead of mixing runs.
/// </summary>
/// <remarks>
/// Images already finished have their result folder; images of later batches were never started and run from scratch.
/// Files are written to a temporary name and moved into place, so a saved state is complete or absent.
/// </remarks>
internal sealed class StoppedRun
{
    public const string FolderName = ".advaudit-run";
    private const string ManifestName = "run.json";
    private const string BatchName = "batch.bin";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private StoppedRun(string fingerprint, IReadOnlyList<string> pendingInputs, byte[]? batch)
    {
        Fingerprint = fingerprint;
        PendingInputs = pendingInputs;
        Batch = batch;
    }

    /// <summary>Gets the fingerprint of the options the stopped run used.</summary>
    public string Fingerprint { get; }

    /// <summary>Gets the full paths of the inputs of the saved batch, in batch order.</summary>
    public IReadOnlyList<string> PendingInputs { get; }

    /// <summary>Gets the saved batch, or <see langword="null"/> when the run stopped between batches.</summary>
    public byte[]? Batch { get; }

    /// <summary>Gets a fingerprint of everything that decides a run's results: the attack plan and the models.</summary>
    /// <param name="description">The attack settings as the summary describes them.</param>
    /// <param name="models">The SHA-256 (or endpoint) of the target and of every surrogate, in order.</param>
    /// <param name="batch">Images attacked together.</param>
    /// <returns>A hex string.</returns>
    public static string FingerprintOf(string description, IEnumerable<string> models, int batch) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', [description, .. models, batch.ToString(System.Globalization.CultureInfo.InvariantCulture)]))));

    /// <summary>Reads the stopped run in <paramref name="outDir"/>, or <see langword="null"/> when there is none.</summary>
    public static StoppedRun? Load(string outDir)
    {
        string folder = Path.Combine(outDir, FolderName);
        string manifest = Path.Combine(folder, ManifestName);
        if (!File.Exists(manifest))
        {
            return null;
        }

        Manifest m = JsonSerializer.Deserialize<Manifest>(File.ReadAllText(manifest), Json) ?? throw new InvalidDataException($"{manifest} is empty.");
        string batch = Path.Combine(folder, BatchName);
        return new StoppedRun(m.Fingerprint, m.PendingInputs, File.Exists(batch) ? File.ReadAllBytes(batch) : null);
    }

    /// <summary>Saves a stopped run: the state of the batch being attacked (if any) and the fingerprint.</summary>
    public static void Save(string outDir, string fingerprint, IReadOnlyList<InputFile> pending, AttackBatch? batch)
    {
        string folder = Path.Combine(outDir, FolderName);
        Directory.CreateDirectory(folder);
        string batchFile = Path.Combine(folder, BatchName);
        if (batch is not null)
        {
            WriteAtomically(batchFile, AttackBatchSerializer.ToBytes(batch));
        }
        else
        {
            File.Delete(batchFile);
        }

        var manifest = new Manifest(fingerprint, [.. pending.Select(p => Path.GetFullPath(p.Path))]);
        WriteAtomically(Path.Combine(folder, ManifestName), JsonSerializer.SerializeToUtf8Bytes(manifest, Json));
    }

    /// <summary>Removes what a stopped run left (after a run that finished).</summary>
    public static void Clear(string outDir)
    {
        string folder = Path.Combine(outDir, FolderName);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Gets the saved batch's state.</summary>
    public AttackBatch LoadBatch() => AttackBatchSerializer.FromBytes(Batch ?? throw new InvalidOperationException("The stopped run saved no batch."));

    private static void WriteAtomically(string path, byte[] bytes)
    {
        string temporary = path + ".tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
    }

    private sealed record Manifest(string Fingerprint, string[] PendingInputs);
}
