using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Upload;
using Microsoft.Extensions.Options;

namespace AdvAudit.Functions.Audit;

/// <summary>
/// Names and blobs of bulk audits. In the work container, <c>audits/&lt;id&gt;/</c> holds <c>request.json</c>
/// (the validated request), its names and labels in parts, the chunks of the listing, the partial summaries of the
/// chunks and <c>manifest.json</c> (written after the last chunk, create-only). In the
/// results container, <c>audits/&lt;id&gt;/images/&lt;input path&gt;/</c> holds each image's result
/// folder and <c>audits/&lt;id&gt;/summary.json</c>, <c>summary.csv</c> and <c>summary.html</c> the summary
/// (summary.json written last).
/// </summary>
public sealed class AuditStore
{
    /// <summary>The summary's marker file.</summary>
    public const string SummaryJson = "summary.json";

    /// <summary>The most labels in one blob of <c>labels/</c>.</summary>
    public const int LabelsPerBlob = 2_000;

    private const int ParallelWrites = 16;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly BlobStore _store;
    private readonly StorageOptions _storage;

    /// <summary>Initializes a new instance of the <see cref="AuditStore"/> class.</summary>
    /// <param name="store">Blob access.</param>
    /// <param name="storage">Container names.</param>
    public AuditStore(BlobStore store, IOptions<StorageOptions> storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _storage = storage.Value;
    }

    /// <summary>Gets the blob access.</summary>
    public BlobStore Blobs => _store;

    /// <summary>Gets the container names.</summary>
    public StorageOptions Storage => _storage;

    /// <summary>Gets the instance id of one run of the audit orchestration: each resume is a new instance, so nothing of a stopped run can reach it.</summary>
    /// <param name="auditId">The audit id.</param>
    /// <param name="resume">The run: 0 for the first, then the resume's number.</param>
    /// <returns><c>audit-&lt;id&gt;</c>, with <c>-r&lt;resume&gt;</c> after it for a resumed run.</returns>
    public static string InstanceId(string auditId, int resume = 0) =>
        resume > 0 ? "audit-" + auditId + "-r" + resume.ToString(CultureInfo.InvariantCulture) : "audit-" + auditId;

    /// <summary>Gets whether <paramref name="text"/> is an audit id (32 lower-case hex digits).</summary>
    /// <param name="text">The text.</param>
    /// <returns><see langword="true"/> when it is.</returns>
    public static bool IsAuditId(string? text) => text is { Length: 32 } && text.All(char.IsAsciiHexDigitLower);

    /// <summary>
    /// Gets the instance id of one image's sub-orchestration: the audit id and a hash of container, name and ETag,
    /// so a replayed or retried fan-out addresses the same instance and never starts the work twice.
    /// </summary>
    /// <param name="auditId">The audit id.</param>
    /// <param name="container">The container.</param>
    /// <param name="name">The blob name.</param>
    /// <param name="etag">The version's ETag.</param>
    /// <param name="resume">The audit run's <see cref="AuditInput.Resume"/>: a resumed run gives the inputs it runs again new ids.</param>
    /// <returns><c>aud-&lt;id&gt;-&lt;32 hex digits&gt;</c>, with <c>-r&lt;resume&gt;</c> after it in a resumed run.</returns>
    public static string ImageInstanceId(string auditId, string container, string name, string etag, int resume = 0)
    {
        string key = string.Join('\n', container, name, InstanceIds.NormalizeETag(etag));
        string id = ImageInstancePrefix(auditId) + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..32];
        return resume > 0 ? id + "-r" + resume.ToString(CultureInfo.InvariantCulture) : id;
    }

    /// <summary>Gets the start shared by the instance ids (and so the checkpoint folders) of an audit's images.</summary>
    /// <param name="auditId">The audit id.</param>
    /// <returns><c>aud-&lt;id&gt;-</c>.</returns>
    public static string ImageInstancePrefix(string auditId) => "aud-" + auditId + "-";

    /// <summary>Gets the folder of the audit's files in the results container.</summary>
    /// <param name="auditId">The audit id.</param>
    /// <returns><c>audits/&lt;id&gt;</c>.</returns>
    public static string ResultsFolder(string auditId) => "audits/" + auditId;

    /// <summary>Gets the result folder of one input of an audit.</summary>
    /// <param name="auditId">The audit id.</param>
    /// <param name="name">The input blob's name.</param>
    /// <returns><c>audits/&lt;id&gt;/images/&lt;name&gt;</c>.</returns>
    public static string ImageFolder(string auditId, string name) => ResultsFolder(auditId) + "/images/" + ResultPaths.FolderFor(name);

    /// <summary>Gets the work folder of an audit.</summary>
    /// <param name="auditId">The audit id.</param>
    /// <returns><c>audits/&lt;id&gt;/</c>.</returns>
    public static string WorkFolder(string auditId) => "audits/" + auditId + "/";

    /// <summary>Gets the name of one chunk of the listing.</summary>
    /// <param name="auditId">The audit id.</param>
    /// <param name="chunk">The chunk's number.</param>
    /// <returns>The blob name.</returns>
    public static string ChunkBlob(string auditId, int chunk) => WorkFolder(auditId) + "chunks/" + chunk.ToString("D6", CultureInfo.InvariantCulture) + ".json";

    private static string ResumesFolder(string auditId) => WorkFolder(auditId) + "resumes/";

    private static string NamesBlob(string auditId, int chunk) => WorkFolder(auditId) + "names/" + chunk.ToString("D6", CultureInfo.InvariantCulture) + ".json";

    private static string LabelsBlob(string auditId, int index) => WorkFolder(auditId) + "labels/" + index.ToString("D6", CultureInfo.InvariantCulture) + ".json";

    private static string PartialBlob(string auditId, int chunk) => WorkFolder(auditId) + "partials/" + chunk.ToString("D6", CultureInfo.InvariantCulture) + ".json";

    /// <summary>Writes the request.</summary>
    /// <param name="plan">The request.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task.</returns>
    /// <remarks>
    /// A manifest's names go to <c>names/000000.json</c> ... (<see cref="AuditPlan.ChunkSize"/> each, in the request's
    /// order) and the labels, sorted by name (ordinal), to <c>labels/000000.json</c> ... (<see cref="LabelsPerBlob"/>
    /// each); <c>request.json</c> keeps only the options and the counts, so each activity reads the small request and the
    /// one part it works on, never 100,000 names and labels.
    /// </remarks>
    public async Task WritePlanAsync(AuditPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        await _store.EnsureContainerAsync(_storage.AttackWorkContainer, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string> names = plan.Blobs ?? [];
        string[][] nameChunks = [.. names.Chunk(plan.ChunkSize)];
        KeyValuePair<string, string>[][] labelChunks = [.. plan.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Chunk(LabelsPerBlob)];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, nameChunks.Length + labelChunks.Length),
            new ParallelOptions { MaxDegreeOfParallelism = ParallelWrites, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                (string blob, BinaryData data) = i < nameChunks.Length
                    ? (NamesBlob(plan.AuditId, i), BinaryData.FromObjectAsJson(nameChunks[i], Json))
                    : (LabelsBlob(plan.AuditId, i - nameChunks.Length), BinaryData.FromObjectAsJson(labelChunks[i - nameChunks.Length].ToDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal), Json));
                await _store.WriteAsync(_storage.AttackWorkContainer, blob, data, "application/json", ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
        AuditPlan stored = plan with
        {
            Blobs = null,
            Labels = new Dictionary<string, string>(),
            ManifestBlobs = names.Count,
            NameChunks = nameChunks.Length,
            LabelBlobStarts = [.. labelChunks.Select(c => c[0].Key)],
        };
        await _store.WriteAsync(_storage.AttackWorkContainer, WorkFolder(plan.AuditId) + "request.json", BinaryData.FromObjectAsJson(stored, Json), "application/json", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads one blob of a manifest's names.</summary>
    /// <param name="auditId">The audit id.</param>
    /// <param name="chunk">The chunk's number.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Its names, in the request's order.</returns>
    public Task<List<string>> ReadNamesAsync(string auditId, int chunk, CancellationToken cancellationToken) =>
        ReadAsync<List<string>>(NamesBlob(auditId, chunk), cancellationToken);

    /// <summary>Reads one blob of the labels.</summary>
    /// <param name="auditId">The audit id.</param>
    /// <param name="index">The blob's number (see <see cref="AuditPlan.LabelBlobStarts"/>).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Its labels, by blob name.</returns>
    public Task<Dictionary<string, string>> ReadLabelsAsync(string auditId, int index, CancellationToken cancellationToken) =>
        ReadAsync<Dictionary<string, string>>(LabelsBlob(auditId, index), cancellationToken);

    /// <summary>Writes the partial summary of one chunk (overwrites: a resumed audit writes it anew).</summary>
    /// <param name="auditId">The audit id.</param>
    /// <param name="chunk">The chunk's number.</param>
    /// <param name="entries">Its inputs.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task.</returns>
    public Task WritePartialAsync(string auditId, int chunk, IReadOnlyList<AuditPartialEntry> entries, CancellationToken cancellationToken) =>
        _store.WriteAsync(_storage.AttackWorkContainer, PartialBlob(auditId, chunk), BinaryData.FromObjectAsJson(entries, Json), "application/json", cancellationToken);

    /// <summary>Reads the partial summary of one chunk, or <see langword="null"/> when it was never written.</summary>
    /// <param name="auditId">The audit id.</param>
    /// <param name="chunk">The chunk's number.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Its inputs or <see langword="null"/>.</returns>
    public async Task<List<AuditPartialEntry>?> TryReadPartialAsync(string auditId, int chunk, CancellationToken cancellationToken) =>
        await _store.ExistsAsync(_storage.AttackWorkContainer, PartialBlob(auditId, chunk), cancellationToken).ConfigureAwait(false)
            ? await ReadAsync<List<AuditPartialEntry>>(PartialBlob(auditId, chunk), cancellationToken).ConfigureAwait(false)
            : null;

    /// <summary>Reads the request, or <see langword="null"/> when no audit of that id was ever accepted.</summary>
    /// <param name="auditId">The audit id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The request or <see langword="null"/>.</returns>
    public async Task<AuditPlan?> TryReadPlanAsync(string auditId, CancellationToken cancellationToken) =>
        await _store.ExistsAsync(_storage.AttackWorkContainer, WorkFolder(auditId) + "request.json", cancellationToken).ConfigureAwait(false)
            ? await ReadPlanAsync(auditId, cancellationToken).ConfigureAwait(false)
            : null;

    /// <summary>Gets the number of the audit's latest run: 0 until it is resumed (the instance id of the run that counts is <see cref="InstanceId(string, int)"/> of it).</summary>
    /// <param name="auditId">The audit id.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The latest resume's number, or 0.</returns>
    public async Task<int> LatestResumeAsync(string auditId, CancellationToken cancellationToken)
    {
        string folder = ResumesFolder(auditId);
        IReadOnlyList<string> claims = await _store.ListNamesAsync(_storage.AttackWorkContainer, folder, cancellationToken).ConfigureAwait(false);
        return claims.Select(c => int.TryParse(c.AsSpan(folder.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : 0).DefaultIfEmpty(0).Max();
    }

    /// <summary>Claims the next resume number of an audit with a create-only blob (<c>resumes/000001</c>, ...), so two resume requests never share one.</summary>
    /// <param name="auditId">The audit id.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>The claimed number, from 1.</returns>
    public async Task<int> ClaimResumeAsync(string auditId, CancellationToken cancellationToken)
    {
        for (int resume = await LatestResumeAsync(auditId, cancellationToken).ConfigureAwait(false) + 1; ; resume++)
        {
            string name = ResumesFolder(auditId) + resume.ToString("D6", CultureInfo.InvariantCulture);
            if (await _store.TryCreateAsync(_storage.AttackWorkContainer, name, BinaryData.FromString(resume.ToString(CultureInfo.InvariantCulture)), cancellationToken).ConfigureAwait(false))
            {
                return resume;
            }
        }
    }

    /// <summary>Reads the request.</summary>
    /// <param name="auditId">The audit id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The request.</returns>
    public async Task<AuditPlan> ReadPlanAsync(string auditId, CancellationToken cancellationToken) =>
        await ReadAsync<AuditPlan>(WorkFolder(auditId) + "request.json", cancellationToken).ConfigureAwait(false);

    /// <summary>Writes one chunk of the listing (overwrites: a retried listing writes the same names).</summary>
    /// <param name="auditId">The audit id.</param>
    /// <param name="chunk">The chunk's number.</param>
    /// <param name="items">Its items.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task.</returns>
    public Task WriteChunkAsync(string auditId, int chunk, IReadOnlyList<AuditItem> items, CancellationToken cancellationToken) =>
        _store.WriteAsync(_storage.AttackWorkContainer, ChunkBlob(auditId, chunk), BinaryData.FromObjectAsJson(items, Json), "application/json", cancellationToken);

    /// <summary>Reads one chunk of the listing.</summary>
    /// <param name="auditId">The audit id.</param>
    /// <param name="chunk">The chunk's number.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Its items.</returns>
    public Task<List<AuditItem>> ReadChunkAsync(string auditId, int chunk, CancellationToken cancellationToken) =>
        ReadAsync<List<AuditItem>>(ChunkBlob(auditId, chunk), cancellationToken);

    /// <summary>Creates the manifest unless it exists; either way returns the one that is stored (the first listing wins).</summary>
    /// <param name="auditId">The audit id.</param>
    /// <param name="manifest">The manifest of this listing.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>The stored manifest.</returns>
    public async Task<AuditManifest> CreateManifestAsync(string auditId, AuditManifest manifest, CancellationToken cancellationToken)
    {
        string name = WorkFolder(auditId) + "manifest.json";
        if (await _store.TryCreateAsync(_storage.AttackWorkContainer, name, BinaryData.FromObjectAsJson(manifest, Json), cancellationToken).ConfigureAwait(false))
        {
            return manifest;
        }

        return await ReadAsync<AuditManifest>(name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the manifest, or <see langword="null"/> before the listing.</summary>
    /// <param name="auditId">The audit id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The manifest or <see langword="null"/>.</returns>
    public async Task<AuditManifest?> TryReadManifestAsync(string auditId, CancellationToken cancellationToken)
    {
        string name = WorkFolder(auditId) + "manifest.json";
        return await _store.ExistsAsync(_storage.AttackWorkContainer, name, cancellationToken).ConfigureAwait(false)
            ? await ReadAsync<AuditManifest>(name, cancellationToken).ConfigureAwait(false)
            : null;
    }

    private async Task<T> ReadAsync<T>(string name, CancellationToken cancellationToken)
    {
        BinaryData data = await _store.ReadAsync(_storage.AttackWorkContainer, name, cancellationToken: cancellationToken).ConfigureAwait(false);
        return data.ToObjectFromJson<T>(Json) ?? throw new InvalidDataException($"{name} is empty.");
    }
}
