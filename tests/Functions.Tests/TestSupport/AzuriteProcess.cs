using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AttackCore.Tests.TestSupport;

namespace AdvAudit.Functions.Tests.TestSupport;

/// <summary>
/// A private Azurite blob service (its own port and data folder) that a test may stop with SIGTERM, as an outage, and
/// start again over the same data, as storage coming back. The shared Azurite of <c>bash .ci/run</c> is never touched.
/// </summary>
internal sealed class AzuriteProcess : IAsyncDisposable
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly string _script;
    private readonly string _data;
    private Process? _process;
    private TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _log = new();

    private AzuriteProcess(string script, int port)
    {
        _script = script;
        Port = port;
        _data = Path.Combine(Path.GetTempPath(), "advaudit-azurite-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_data);
    }

    /// <summary>Gets the blob port.</summary>
    public int Port { get; }

    /// <summary>Gets the connection string of this account.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};BlobEndpoint=http://127.0.0.1:{Port}/devstoreaccount1;";

    /// <summary>Gets the Azurite blob entry point of the repository's npm install, or <see langword="null"/>.</summary>
    public static string? Script => RepoPaths.FromRoot("node_modules/azurite/dist/src/blob/main.js") is string s && File.Exists(s) ? s : null;

    /// <summary>Gets why the test cannot run here, or <see langword="null"/> when it can.</summary>
    public static string? Unavailable =>
        !OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() ? "stopping Azurite with SIGTERM needs Linux or macOS"
        : Script is null ? "Azurite is not installed in node_modules (`bash .ci/run` runs npm ci)"
        : null;

    /// <summary>Starts Azurite on a free port.</summary>
    /// <returns>The running service.</returns>
    public static async Task<AzuriteProcess> StartAsync()
    {
        var azurite = new AzuriteProcess(Script ?? throw new InvalidOperationException(Unavailable), FreePort());
        try
        {
            await azurite.StartAgainAsync();
        }
        catch
        {
            // A node that started but never listened would outlive the test run.
            await azurite.DisposeAsync();
            throw;
        }

        return azurite;
    }

    /// <summary>Starts Azurite (again) over the same data folder and waits until it accepts connections.</summary>
    /// <returns>A task.</returns>
    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo("node")
        {
            ArgumentList = { _script, "--skipApiVersionCheck", "--loose", "--location", _data, "--blobHost", "127.0.0.1", "--blobPort", Port.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _process = new Process { StartInfo = start };
        TaskCompletionSource closed = _closed;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _log.Enqueue(e.Data);
            }
        };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _log.Enqueue(e.Data);
            }

            // Printed once the server is closed and its metadata saved to the data folder.
            if (e.Data?.Contains("successfully closed", StringComparison.Ordinal) == true)
            {
                closed.TrySetResult();
            }
        };
        Assert.True(_process.Start(), "node did not start.");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        // node can take a while to start when the test run keeps every core busy.
        for (int i = 0; i < 600 && !await AcceptsAsync(); i++)
        {
            Assert.False(_process.HasExited, $"Azurite exited at start with code {(_process.HasExited ? _process.ExitCode : 0)}: {string.Join(" | ", _log)}");
            await Task.Delay(100);
        }

        Assert.True(await AcceptsAsync(), $"Azurite did not listen on 127.0.0.1:{Port} within 60 s: {string.Join(" | ", _log)}");
    }

    /// <summary>
    /// Stops Azurite with SIGTERM, as a restart of the storage service would: it refuses connections at once, saves its
    /// data and says so; a process that lingers after that (an open client socket keeps node alive) is then killed.
    /// </summary>
    /// <returns>A task.</returns>
    public async Task StopAsync()
    {
        Process process = _process ?? throw new InvalidOperationException("Azurite is not running.");
        using (Process kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
            Assert.Equal(0, kill.ExitCode);
        }

        await _closed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        using var linger = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await process.WaitForExitAsync(linger.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        _process = null;
        Assert.False(await AcceptsAsync(), "Azurite still accepts connections after SIGTERM.");
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by the exiting process: the temp folder is cleaned by the OS.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task<bool> AcceptsAsync()
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, Port).WaitAsync(TimeSpan.FromSeconds(1));
            return true;
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            return false;
        }
    }
}
