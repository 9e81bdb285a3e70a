using AdvAudit.Functions.Settings;
using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace AdvAudit.Functions.Upload;

/// <summary>
/// The two blob triggers on the uploads container. Both hand the event to <see cref="UploadHandler"/>; which one does
/// the work is chosen by <see cref="SettingNames.TriggerSource"/>, and the other is turned off by its host switch
/// (<see cref="SettingNames.PollingTriggerDisabled"/>, <see cref="SettingNames.EventGridTriggerDisabled"/>).
/// </summary>
/// <remarks>
/// The build for Azure (<c>-p:EventGridTriggerOnly=true</c>, see Functions.csproj) defines EVENT_GRID_TRIGGER_ONLY and
/// compiles the polling trigger out: Flex Consumption accepts only Event Grid-sourced blob triggers, so there the
/// polling function must not exist at all, not merely be disabled.
/// </remarks>
public sealed class OnImageUploaded
{
    private readonly UploadHandler _handler;

    /// <summary>Initializes a new instance of the <see cref="OnImageUploaded"/> class.</summary>
    /// <param name="handler">The handler.</param>
    public OnImageUploaded(UploadHandler handler) => _handler = handler ?? throw new ArgumentNullException(nameof(handler));

#if !EVENT_GRID_TRIGGER_ONLY
    /// <summary>The polling trigger (the host scans the container; works with Azurite).</summary>
    /// <param name="blob">The uploaded blob.</param>
    /// <param name="name">The blob name.</param>
    /// <param name="client">The durable client.</param>
    /// <param name="cancellationToken">Cancelled when the host shuts down.</param>
    /// <returns>A task.</returns>
    [Function(nameof(OnImageUploadedPolling))]
    public Task OnImageUploadedPolling(
        [BlobTrigger("%" + SettingNames.UploadsContainer + "%/{name}", Connection = SettingNames.StorageConnection)] BlobClient blob,
        string name,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        return _handler.HandleAsync(blob.BlobContainerName, name, UploadSource.Polling, client, cancellationToken);
    }
#endif

    /// <summary>The Event Grid trigger (blob-created events pushed by an Event Grid subscription, in Azure).</summary>
    /// <param name="blob">The uploaded blob.</param>
    /// <param name="name">The blob name.</param>
    /// <param name="client">The durable client.</param>
    /// <param name="cancellationToken">Cancelled when the host shuts down.</param>
    /// <returns>A task.</returns>
    [Function(nameof(OnImageUploadedEventGrid))]
    public Task OnImageUploadedEventGrid(
        [BlobTrigger("%" + SettingNames.UploadsContainer + "%/{name}", Source = BlobTriggerSource.EventGrid, Connection = SettingNames.StorageConnection)] BlobClient blob,
        string name,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        return _handler.HandleAsync(blob.BlobContainerName, name, UploadSource.EventGrid, client, cancellationToken);
    }
}
