using AdvAudit.Functions.Settings;
using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;

namespace AdvAudit.Functions.Storage;

/// <summary>
/// Makes the <see cref="BlobServiceClient"/> for a named connection the way the Functions host reads the same
/// connection for its triggers: a connection string in <c>&lt;name&gt;</c>, or identity-based settings under
/// <c>&lt;name&gt;__</c> (<c>serviceUri</c> or <c>blobServiceUri</c> or <c>accountName</c>, then
/// <c>credential</c> and <c>clientId</c>).
/// </summary>
public static class BlobServiceClientFactory
{
    /// <summary>Creates the client.</summary>
    /// <param name="configuration">The app configuration.</param>
    /// <param name="connectionName">The connection name, e.g. <see cref="SettingNames.StorageConnection"/>.</param>
    /// <returns>The client. The Azure SDK's own retries are off: the Polly pipelines of the blob store retry instead, so attempts do not multiply.</returns>
    /// <exception cref="InvalidOperationException">The connection is not configured; the message says which settings to set.</exception>
    public static BlobServiceClient Create(IConfiguration configuration, string connectionName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionName);
        var options = new BlobClientOptions();
        options.Retry.MaxRetries = 0;

        IConfigurationSection section = configuration.GetSection(connectionName);
        string? connectionString = section.Value;
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            try
            {
                return new BlobServiceClient(connectionString, options);
            }
            catch (FormatException e)
            {
                throw new InvalidOperationException($"{connectionName} is not a valid storage connection string ({e.Message}). Use UseDevelopmentStorage=true for Azurite, an account connection string, or the identity-based settings {connectionName}__serviceUri / {connectionName}__blobServiceUri.", e);
            }
        }

        Uri? endpoint = ServiceUri(section, connectionName);
        if (endpoint is null)
        {
            throw new InvalidOperationException(
                $"The storage connection '{connectionName}' is not configured. Set {connectionName} to a connection string " +
                $"(UseDevelopmentStorage=true for Azurite), or, for a managed identity, {connectionName}__blobServiceUri " +
                $"(or {connectionName}__serviceUri, or {connectionName}__accountName) with optional {connectionName}__credential=managedidentity and {connectionName}__clientId.");
        }

        return new BlobServiceClient(endpoint, Credential(section), options);
    }

    /// <summary>Gets whether <paramref name="connectionName"/> is configured in either form.</summary>
    /// <param name="configuration">The app configuration.</param>
    /// <param name="connectionName">The connection name.</param>
    /// <returns><see langword="true"/> when a connection string or a service URI is set.</returns>
    public static bool IsConfigured(IConfiguration configuration, string connectionName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        IConfigurationSection section = configuration.GetSection(connectionName);
        return !string.IsNullOrWhiteSpace(section.Value) || ServiceUri(section, connectionName) is not null;
    }

    private static Uri? ServiceUri(IConfigurationSection section, string connectionName)
    {
        string? text = section["blobServiceUri"] ?? section["serviceUri"];
        if (string.IsNullOrWhiteSpace(text) && section["accountName"] is { Length: > 0 } account)
        {
            text = $"https://{account}.blob.core.windows.net";
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? uri
            : throw new InvalidOperationException($"{connectionName}__blobServiceUri / {connectionName}__serviceUri is '{text}'; it must be an absolute https URL such as https://myaccount.blob.core.windows.net.");
    }

    private static TokenCredential Credential(IConfigurationSection section)
    {
        string? clientId = section["clientId"];
        if (string.Equals(section["credential"], "managedidentity", StringComparison.OrdinalIgnoreCase))
        {
            return new ManagedIdentityCredential(string.IsNullOrWhiteSpace(clientId)
                ? ManagedIdentityId.SystemAssigned
                : ManagedIdentityId.FromUserAssignedClientId(clientId));
        }

        var options = new DefaultAzureCredentialOptions();
        if (!string.IsNullOrWhiteSpace(clientId))
        {
            options.ManagedIdentityClientId = clientId;
        }

        return new DefaultAzureCredential(options);
    }
}
