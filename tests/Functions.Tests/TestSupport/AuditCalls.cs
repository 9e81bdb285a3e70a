using System.Text;
using System.Text.Json;
using AdvAudit.Functions.Audit;
using AdvAudit.Functions.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;

namespace AdvAudit.Functions.Tests.TestSupport;

/// <summary>Calls of the audit API and reads of an audit's result folders, as the audit tests make them.</summary>
internal static class AuditCalls
{
    public static readonly Uri PostUrl = new("http://localhost:7071/api/audits");

    public static async Task<string> StartAsync(PipelineHarness h, object body)
    {
        ApiResponse started = await h.Services.GetRequiredService<AuditApi>().StartAsync(JsonSerializer.Serialize(body), PostUrl, h.Client);
        Assert.True(started.Status == 202, started.Body);
        using JsonDocument json = JsonDocument.Parse(started.Body);
        string id = json.RootElement.GetProperty("id").GetString()!;
        Assert.Equal("http://localhost:7071/api/audits/" + id, started.Location);
        return id;
    }

    public static async Task<JsonElement> GetAsync(PipelineHarness h, string id)
    {
        ApiResponse status = await h.Services.GetRequiredService<AuditApi>().GetAsync(id, h.Client);
        Assert.Equal(200, status.Status);
        return JsonDocument.Parse(status.Body).RootElement.Clone();
    }

    public static async Task<string> ReadTextAsync(PipelineHarness h, string blob) =>
        Encoding.UTF8.GetString((await h.Store.ReadAsync(h.Storage.ResultsContainer, blob)).ToArray());

    /// <summary>Every result folder under the audit's images: folder -> marker files present.</summary>
    public static async Task<Dictionary<string, List<string>>> MarkersAsync(PipelineHarness h, string id)
    {
        var markers = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        BlobContainerClient results = h.Store.Service.GetBlobContainerClient(h.Storage.ResultsContainer);
        await foreach (BlobItem item in results.GetBlobsAsync(new GetBlobsOptions { Prefix = AuditStore.ResultsFolder(id) + "/images/" }))
        {
            int slash = item.Name.LastIndexOf('/');
            string folder = item.Name[..slash];
            string file = item.Name[(slash + 1)..];
            if (!markers.TryGetValue(folder, out List<string>? files))
            {
                markers[folder] = files = [];
            }

            if (file is BlobStore.ReportMarker or BlobStore.ErrorMarker)
            {
                files.Add(file);
            }
        }

        return markers;
    }

    /// <summary>Counts the checkpoint blobs left by the audit's image runs in the work container.</summary>
    public static async Task<int> CheckpointBlobsAsync(PipelineHarness h, string id)
    {
        int n = 0;
        await foreach (BlobItem _ in h.Store.Service.GetBlobContainerClient(h.Storage.AttackWorkContainer).GetBlobsAsync(new GetBlobsOptions { Prefix = AdvAudit.Functions.Orchestration.CheckpointStore.PrefixOfAll(AuditStore.ImageInstancePrefix(id)) }))
        {
            n++;
        }

        return n;
    }
}
