using Microsoft.Extensions.Configuration;

namespace AdvAudit.Functions.Settings;

/// <summary>
/// Reads an app setting by its plain name, for the environment variables a remote model spec names in its header
/// values (<c>"Authorization": "Bearer ${MODEL_API_KEY}"</c>): the app configuration first (app settings,
/// <c>local.settings.json</c>; in Azure a Key Vault reference as an app setting resolves to the secret), then the
/// process environment.
/// </summary>
/// <param name="configuration">The app configuration.</param>
public sealed class AppSettingLookup(IConfiguration configuration)
{
    /// <summary>Gets the value of the setting <paramref name="name"/>, or <see langword="null"/> when it is not set.</summary>
    /// <param name="name">The setting's name, as written in <c>${...}</c>.</param>
    /// <returns>The value, or <see langword="null"/>.</returns>
    public string? Get(string name) => configuration[name] ?? Environment.GetEnvironmentVariable(name);
}
