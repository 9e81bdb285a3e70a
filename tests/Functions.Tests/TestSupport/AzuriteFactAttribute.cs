using System.Net.Sockets;

namespace AdvAudit.Functions.Tests.TestSupport;

/// <summary>
/// A fact that needs Azurite's blob service on 127.0.0.1:10000 (.ci/run starts it). Without it the test is skipped,
/// with the reason shown, so a plain <c>dotnet test</c> still passes.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class AzuriteFactAttribute : FactAttribute
{
    /// <summary>Initializes a new instance of the <see cref="AzuriteFactAttribute"/> class.</summary>
    public AzuriteFactAttribute()
    {
        Skip = Azurite.Unavailable;
    }
}

/// <summary>A theory that needs Azurite, as <see cref="AzuriteFactAttribute"/>: skipped, with the reason shown, without it.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class AzuriteTheoryAttribute : TheoryAttribute
{
    /// <summary>Initializes a new instance of the <see cref="AzuriteTheoryAttribute"/> class.</summary>
    public AzuriteTheoryAttribute()
    {
        Skip = Azurite.Unavailable;
    }
}

/// <summary>The local Azurite emulator with its well-known development account.</summary>
internal static class Azurite
{
    public const string Host = "127.0.0.1";
    public const int BlobPort = 10000;

    private static readonly Lazy<bool> Reachable = new(() =>
    {
        try
        {
            using var client = new TcpClient();
            return client.ConnectAsync(Host, BlobPort).Wait(TimeSpan.FromSeconds(1)) && client.Connected;
        }
        catch (Exception e) when (e is SocketException or AggregateException)
        {
            return false;
        }
    });

    /// <summary>Gets why the Azurite tests cannot run (its blob service does not answer), or <see langword="null"/> when they can.</summary>
    public static string? Unavailable => Reachable.Value
        ? null
        : $"Azurite is not running on {Host}:{BlobPort}; `bash .ci/run` starts it (or run `npm ci` and start node_modules/azurite/dist/src/azurite.js --skipApiVersionCheck).";

    /// <summary>The development account's connection string (Azurite's documented, public key).</summary>
    public const string ConnectionString = "UseDevelopmentStorage=true";

    /// <summary>Returns a container name no other test uses (Azurite keeps data between runs).</summary>
    public static string UniqueContainer(string purpose) => $"{purpose}-{Guid.NewGuid():N}"[..Math.Min(63, purpose.Length + 33)];
}
