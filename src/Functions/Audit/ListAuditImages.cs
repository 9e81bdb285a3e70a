using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Upload;
using Azure;
using Azure.Storage.Blobs.Models;
using BlobInfo = AdvAudit.Functions.Storage.BlobInfo;
using Microsoft.Extensions.Logging;

namespace AdvAudit.Functions.Audit;

/// <summary>
/// Activity: lists one chunk of the audit's inputs (<see cref="AuditPlan.ChunkSize"/>): a page of the container listing
/// under the prefix, or one blob of the manifest's names, each checked for its current version in parallel. It joins
/// the given labels to the names (<see cref="AuditStore.ReadLabelsAsync"/>, sorted blobs), writes the chunk, and after
/// the last chunk creates <c>manifest.json</c> create-only, so a retried or duplicated listing returns the first one's
/// result. A manifest name that does not exist gets error.json (reason <c>NotFound</c>) in its result folder and counts
/// as failed. A name that <see cref="BlobNames"/> refuses (from the manifest or the listing) is never passed to storage:
/// it gets error.json (reason <c>InvalidName</c>) under <c>images/_invalid-names/</c> and counts as failed too. Both
/// stay in their chunk, marked with <see cref="AuditItem.Failure"/>.
/// </summary>
/// <remarks>
/// One call does one chunk, so its time is bounded by the chunk, not the audit: the orchestrator calls it until the
/// listing is complete (continuing as new every <see cref="AuditOrchestrator.ListCallsPerExecution"/> calls). A prefix
/// listing carries the container's continuation token from call to call; a retried call lists the same page again and
/// overwrites the same chunk.
/// </remarks>
public sealed partial class ListAuditImages : IActivity<AuditListInput, AuditListPart>
{
    /// <summary>The most existence checks of manifest names at once.</summary>
    internal const int ParallelChecks = 32;

    private readonly AuditStore _audits;
    private readonly ILogger<ListAuditImages> _logger;

    /// <summary>Initializes a new instance of the <see cref="ListAuditImages"/> class.</summary>
    /// <param name="audits">The audit blobs.</param>
    /// <param name="logger">The logger.</param>
    public ListAuditImages(AuditStore audits, ILogger<ListAuditImages> logger)
    {
        _audits = audits ?? throw new ArgumentNullException(nameof(audits));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <inheritdoc/>
    public async Task<AuditListPart> ExecuteAsync(AuditListInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentException.ThrowIfNullOrWhiteSpace(input.AuditId);
        AuditManifest? done = await _audits.TryReadManifestAsync(input.AuditId, cancellationToken).ConfigureAwait(false);
        if (done is not null)
        {
            return new AuditListPart(null, new AuditManifestInfo(done.Chunks, done.Items, done.Missing));
        }

        AuditPlan plan = await _audits.ReadPlanAsync(input.AuditId, cancellationToken).ConfigureAwait(false);
        (List<Listed> listed, string? continuation, bool last) = plan.Prefix is not null
            ? await ListPageAsync(plan, input.Continuation, cancellationToken).ConfigureAwait(false)
            : (await CheckNamesAsync(plan, input.Chunk, cancellationToken).ConfigureAwait(false), null, input.Chunk + 1 >= plan.NameChunks);
        var labels = new LabelJoin(_audits, plan);
        var items = new AuditItem[listed.Count];
        for (int i = 0; i < items.Length; i++)
        {
            Listed l = listed[i];
            string folder = l.Failure == BlobNames.InvalidNameReason
                ? BlobNames.InvalidNameFolder(AuditStore.ResultsFolder(plan.AuditId) + "/images", l.Name)
                : AuditStore.ImageFolder(plan.AuditId, l.Name);
            items[i] = new AuditItem(l.Name, l.ETag, l.Length, folder, await labels.FindAsync(l.Name, cancellationToken).ConfigureAwait(false), l.Failure);
        }

        await Parallel.ForEachAsync(
            Enumerable.Range(0, items.Length).Where(i => items[i].Failure is not null),
            new ParallelOptions { MaxDegreeOfParallelism = ParallelChecks, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                AuditItem item = items[i];
                string message = listed[i].Problem ?? $"The manifest names {plan.Container}/{item.Name}, which does not exist.";
                var report = new ErrorReport(item.Name, plan.Container, string.Empty, item.Failure!, message);
                await _audits.Blobs.WriteResultFolderAsync(_audits.Storage.ResultsContainer, item.ResultFolder, [report.ToFile()], ct).ConfigureAwait(false);
                if (item.Failure == BlobNames.InvalidNameReason)
                {
                    Log.Refused(_logger, plan.AuditId, item.Name, message);
                }
            }).ConfigureAwait(false);

        int attack = items.Count(i => i.Failure is null);
        var next = new AuditListInput(input.AuditId, input.Chunk, continuation, input.Items + attack, input.Missing + (items.Length - attack));
        if (items.Length > 0)
        {
            // An empty page (or one of folders only) adds no chunk.
            await _audits.WriteChunkAsync(plan.AuditId, input.Chunk, items, cancellationToken).ConfigureAwait(false);
            next = next with { Chunk = input.Chunk + 1 };
        }

        if (!last)
        {
            return new AuditListPart(next, null);
        }

        AuditManifest manifest = await _audits.CreateManifestAsync(plan.AuditId, new AuditManifest(next.Chunk, next.Items, next.Missing), cancellationToken).ConfigureAwait(false);
        Log.Listed(_logger, plan.AuditId, manifest.Items, manifest.Missing, manifest.Chunks);
        return new AuditListPart(null, new AuditManifestInfo(manifest.Chunks, manifest.Items, manifest.Missing));
    }

    /// <summary>One blob of the manifest's names, each checked for its current version (<see cref="ParallelChecks"/> at once).</summary>
    private async Task<List<Listed>> CheckNamesAsync(AuditPlan plan, int chunk, CancellationToken cancellationToken)
    {
        List<string> names = chunk < plan.NameChunks ? await _audits.ReadNamesAsync(plan.AuditId, chunk, cancellationToken).ConfigureAwait(false) : [];
        var listed = new Listed[names.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, names.Count),
            new ParallelOptions { MaxDegreeOfParallelism = ParallelChecks, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                string name = names[i];
                if (BlobNames.Problem(name) is string problem)
                {
                    // Refused before any storage call: the SDK would resolve the name to another container's blob.
                    listed[i] = new Listed(name, string.Empty, 0, BlobNames.InvalidNameReason, problem);
                    return;
                }

                BlobInfo? info = await _audits.Blobs.TryGetInfoAsync(plan.Container, name, ct).ConfigureAwait(false);
                listed[i] = info is null
                    ? new Listed(name, string.Empty, 0, NotFoundReason, null)
                    : new Listed(name, InstanceIds.NormalizeETag(info.ETag), info.Length, null, null);
            }).ConfigureAwait(false);
        return [.. listed];
    }

    /// <summary>One page of the container listing under the prefix (<see cref="AuditPlan.ChunkSize"/> blobs at most), through the read pipeline.</summary>
    private async Task<(List<Listed> Listed, string? Continuation, bool Last)> ListPageAsync(AuditPlan plan, string? continuation, CancellationToken cancellationToken)
    {
        // A transient fault lists the same page again (the continuation token names where it starts), so none is lost or doubled.
        return await _audits.Blobs.ExecuteReadAsync(
            async ct =>
            {
                var listed = new List<Listed>();
                await foreach (Page<BlobItem> page in _audits.Blobs.Service.GetBlobContainerClient(plan.Container)
                    .GetBlobsAsync(new GetBlobsOptions { Prefix = plan.Prefix }, ct)
                    .AsPages(continuation, plan.ChunkSize).ConfigureAwait(false))
                {
                    foreach (BlobItem item in page.Values)
                    {
                        if (item.Name.EndsWith('/') || item.Deleted)
                        {
                            continue;
                        }

                        listed.Add(BlobNames.Problem(item.Name) is string problem
                            ? new Listed(item.Name, string.Empty, 0, BlobNames.InvalidNameReason, problem)
                            : new Listed(item.Name, InstanceIds.NormalizeETag(item.Properties.ETag?.ToString() ?? string.Empty), item.Properties.ContentLength ?? 0, null, null));
                    }

                    string? next = string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken;
                    return (listed, next, next is null);
                }

                return (listed, (string?)null, true);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The error.json reason of a manifest name that does not exist.</summary>
    internal const string NotFoundReason = "NotFound";

    /// <summary>One listed input: its version, or why it failed.</summary>
    private sealed record Listed(string Name, string ETag, long Length, string? Failure, string? Problem);

    /// <summary>
    /// Finds the given label of a name in the sorted label blobs: a binary search over their first names, then that one
    /// blob, read once per call (a chunk's names are mostly in one or two label blobs).
    /// </summary>
    private sealed class LabelJoin(AuditStore audits, AuditPlan plan)
    {
        private readonly Dictionary<int, Dictionary<string, string>> _read = [];

        public async Task<string?> FindAsync(string name, CancellationToken cancellationToken)
        {
            IReadOnlyList<string> starts = plan.LabelBlobStarts;
            int lo = 0, hi = starts.Count - 1, found = -1;
            while (lo <= hi)
            {
                int mid = (lo + hi) / 2;
                if (string.CompareOrdinal(starts[mid], name) <= 0)
                {
                    found = mid;
                    lo = mid + 1;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            if (found < 0)
            {
                return null;
            }

            if (!_read.TryGetValue(found, out Dictionary<string, string>? labels))
            {
                _read[found] = labels = await audits.ReadLabelsAsync(plan.AuditId, found, cancellationToken).ConfigureAwait(false);
            }

            return labels.GetValueOrDefault(name);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "Audit {AuditId}: refused the blob name {Name}: {Problem}")]
        public static partial void Refused(ILogger logger, string auditId, string name, string problem);

        [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Audit {AuditId}: listed {Items} images, {Missing} missing, in {Chunks} chunks")]
        public static partial void Listed(ILogger logger, string auditId, int items, int missing, int chunks);
    }
}
