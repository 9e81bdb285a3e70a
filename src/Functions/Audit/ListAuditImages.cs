using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Upload;
using Azure.Storage.Blobs.Models;
using BlobInfo = AdvAudit.Functions.Storage.BlobInfo;
using Microsoft.Extensions.Logging;

namespace AdvAudit.Functions.Audit;

/// <summary>
/// Activity: lists the audit's images once (every blob under the prefix, or each name of the manifest with its
/// current version), writes the listing in chunks and then <c>manifest.json</c> create-only, so a retried or
/// duplicated listing returns the first one's result. A manifest name that does not exist gets error.json
/// (reason <c>NotFound</c>) in its result folder and counts as failed. A name that <see cref="BlobNames"/> refuses
/// (from the manifest or the listing) is never passed to storage: it gets error.json (reason <c>InvalidName</c>) under
/// <c>images/_invalid-names/</c> and counts as failed too.
/// </summary>
/// <remarks>
/// Two inputs whose result folders would collide (<c>a.png</c> and <c>a.jpg</c>) keep apart: the later one's folder
/// gets its extension (<c>a_jpg</c>).
/// </remarks>
public sealed partial class ListAuditImages : IActivity<string, AuditManifestInfo>
{
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
    public async Task<AuditManifestInfo> ExecuteAsync(string input, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(input);
        AuditManifest? done = await _audits.TryReadManifestAsync(input, cancellationToken).ConfigureAwait(false);
        if (done is not null)
        {
            return new AuditManifestInfo(done.Chunks, done.Items, done.Missing.Count);
        }

        AuditPlan plan = await _audits.ReadPlanAsync(input, cancellationToken).ConfigureAwait(false);
        var found = new List<(string Name, string ETag, long Length)>();
        var missing = new List<string>();
        var refused = new List<(string Name, string Problem)>();
        if (plan.Prefix is not null)
        {
            foreach ((string Name, string ETag, long Length) listed in await ListPrefixAsync(plan.Container, plan.Prefix, cancellationToken).ConfigureAwait(false))
            {
                if (BlobNames.Problem(listed.Name) is string problem)
                {
                    refused.Add((listed.Name, problem));
                }
                else
                {
                    found.Add(listed);
                }
            }
        }
        else
        {
            foreach (string name in plan.Blobs ?? [])
            {
                if (BlobNames.Problem(name) is string problem)
                {
                    // Refused before any storage call: the SDK would resolve the name to another container's blob.
                    refused.Add((name, problem));
                    continue;
                }

                BlobInfo? info = await _audits.Blobs.TryGetInfoAsync(plan.Container, name, cancellationToken).ConfigureAwait(false);
                if (info is null)
                {
                    missing.Add(name);
                }
                else
                {
                    found.Add((name, InstanceIds.NormalizeETag(info.ETag), info.Length));
                }
            }
        }

        var folders = new HashSet<string>(StringComparer.Ordinal);
        var items = new List<AuditItem>(found.Count);
        var missingFolders = new List<string>(missing.Count);
        foreach ((string name, string etag, long length) in found)
        {
            items.Add(new AuditItem(name, etag, length, UniqueFolder(plan.AuditId, name, folders)));
        }

        foreach (string name in missing)
        {
            string folder = UniqueFolder(plan.AuditId, name, folders);
            missingFolders.Add(folder);
            var report = new ErrorReport(name, plan.Container, string.Empty, "NotFound", $"The manifest names {plan.Container}/{name}, which does not exist.");
            await _audits.Blobs.WriteResultFolderAsync(_audits.Storage.ResultsContainer, folder, [report.ToFile()], cancellationToken).ConfigureAwait(false);
        }

        foreach ((string name, string problem) in refused)
        {
            string folder = BlobNames.InvalidNameFolder(AuditStore.ResultsFolder(plan.AuditId) + "/images", name);
            missing.Add(name);
            missingFolders.Add(folder);
            var report = new ErrorReport(name, plan.Container, string.Empty, BlobNames.InvalidNameReason, problem);
            await _audits.Blobs.WriteResultFolderAsync(_audits.Storage.ResultsContainer, folder, [report.ToFile()], cancellationToken).ConfigureAwait(false);
            Log.Refused(_logger, plan.AuditId, name, problem);
        }

        int chunks = 0;
        foreach (AuditItem[] chunk in items.Chunk(plan.ChunkSize))
        {
            await _audits.WriteChunkAsync(plan.AuditId, chunks++, chunk, cancellationToken).ConfigureAwait(false);
        }

        AuditManifest manifest = await _audits.CreateManifestAsync(plan.AuditId, new AuditManifest(chunks, items.Count, missing, missingFolders), cancellationToken).ConfigureAwait(false);
        Log.Listed(_logger, plan.AuditId, manifest.Items, manifest.Missing.Count, manifest.Chunks);
        return new AuditManifestInfo(manifest.Chunks, manifest.Items, manifest.Missing.Count);
    }

    private static string UniqueFolder(string auditId, string name, HashSet<string> taken)
    {
        string folder = AuditStore.ImageFolder(auditId, name);
        if (taken.Add(folder))
        {
            return folder;
        }

        string alternative = AuditStore.ResultsFolder(auditId) + "/images/" + name.Trim('/').Replace('.', '_');
        for (int i = 2; !taken.Add(alternative); i++)
        {
            alternative = AuditStore.ResultsFolder(auditId) + "/images/" + name.Trim('/').Replace('.', '_') + "_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return alternative;
    }

    private async Task<List<(string, string, long)>> ListPrefixAsync(string container, string prefix, CancellationToken cancellationToken)
    {
        // One listing through the read pipeline: a transient fault restarts the listing, so no page is lost or doubled.
        return await _audits.Blobs.ExecuteReadAsync(
            async ct =>
            {
                var found = new List<(string, string, long)>();
                await foreach (BlobItem item in _audits.Blobs.Service.GetBlobContainerClient(container).GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, ct).ConfigureAwait(false))
                {
                    if (!item.Name.EndsWith('/') && item.Deleted is false)
                    {
                        found.Add((item.Name, InstanceIds.NormalizeETag(item.Properties.ETag?.ToString() ?? string.Empty), item.Properties.ContentLength ?? 0));
                    }
                }

                found.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
                return found;
            },
            cancellationToken).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "Audit {AuditId}: refused the blob name {Name}: {Problem}")]
        public static partial void Refused(ILogger logger, string auditId, string name, string problem);

        [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Audit {AuditId}: listed {Items} images, {Missing} missing, in {Chunks} chunks")]
        public static partial void Listed(ILogger logger, string auditId, int items, int missing, int chunks);
    }
}
