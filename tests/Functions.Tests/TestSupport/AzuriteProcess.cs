using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AttackCore.Tests.TestSupport;

namespace AdvAudit.Functions.Tests.TestSupport;

/// <summary>
/// A private Azurite blob service, or blob, queue and table services (their own ports and data folder), that a test
/// may stop with SIGTERM, as an outage, or kill with SIGKILL, as a crash, and start again over the same data, as
/// storage coming back. The shared Azurite of <c>bash .ci/run</c> is never touched.
/// </summary>
internal sealed class AzuriteProcess : IAsyncDisposable
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly string _script;
    private readonly string _data;
    private readonly int[] _ports;
    private readonly bool _inMemory;
    private Process? _process;
    private TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _log = new();

    private AzuriteProcess(string script, int[] ports, bool inMemory)
    {
        _script = script;
        _ports = ports;
        _inMemory = inMemory;
        Port = ports[0];
        _data = Path.Combine(Path.GetTempPath(), "advaudit-azurite-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_data);
    }

    /// <summary>Gets the blob port.</summary>
    public int Port { get; }

    /// <summary>Gets the queue port (<see cref="StartAsync"/> with queue and table), or 0.</summary>
    public int QueuePort => _ports.Length > 1 ? _ports[1] : 0;

    /// <summary>Gets the table port (<see cref="StartAsync"/> with queue and table), or 0.</summary>
    public int TablePort => _ports.Length > 2 ? _ports[2] : 0;

    /// <summary>Gets the connection string of this account.</summary>
    public string ConnectionString => ConnectionStringFor(Port, QueuePort, TablePort);

    /// <summary>Gets the Azurite blob entry point of the repository's npm install, or <see langword="null"/>.</summary>
    public static string? Script => RepoPaths.FromRoot("node_modules/azurite/dist/src/blob/main.js") is string s && File.Exists(s) ? s : null;

    /// <summary>Returns the account's connection string with its services on these loopback ports (0: no such service).</summary>
    public static string ConnectionStringFor(int blobPort, int queuePort = 0, int tablePort = 0) =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};BlobEndpoint=http://127.0.0.1:{blobPort}/devstoreaccount1;"
        + (queuePort > 0 ? $"QueueEndpoint=http://127.0.0.1:{queuePort}/devstoreaccount1;" : string.Empty)
        + (tablePort > 0 ? $"TableEndpoint=http://127.0.0.1:{tablePort}/devstoreaccount1;" : string.Empty);

    /// <summary>Gets why the test cannot run here, or <see langword="null"/> when it can.</summary>
    public static string? Unavailable =>
        !OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() ? "stopping Azurite with SIGTERM needs Linux or macOS"
        : Script is null ? "Azurite is not installed in node_modules (`bash .ci/run` runs npm ci)"
        : null;

    /// <summary>Starts Azurite's blob service, or its blob, queue and table services, on free ports.</summary>
    /// <param name="queueAndTable">Whether to run the queue and table services too (a durable backend needs them).</param>
    /// <param name="inMemory">
    /// Whether to keep the data in memory only (<c>--inMemoryPersistence</c>; lost when the process stops, so not for a
    /// restart): a test with tens of thousands of blobs, which Azurite's metadata store scans on most requests, gets
    /// an account of its own that neither slows the shared Azurite's other tests nor is slowed by theirs.
    /// </param>
    /// <returns>The running service.</returns>
    public static async Task<AzuriteProcess> StartAsync(bool queueAndTable = false, bool inMemory = false)
    {
        string script = Script ?? throw new InvalidOperationException(Unavailable);
        var azurite = queueAndTable
            ? new AzuriteProcess(Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(script))!, "azurite.js"), [FreePort(), FreePort(), FreePort()], inMemory)
            : new AzuriteProcess(script, [FreePort()], inMemory);
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
            ArgumentList = { _script, "--skipApiVersionCheck", "--loose", "--blobHost", "127.0.0.1", "--blobPort", Port.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in _inMemory ? ["--inMemoryPersistence"] : (string[])["--location", _data])
        {
            start.ArgumentList.Add(arg);
        }

        if (_ports.Length > 1)
        {
            foreach (string arg in (string[])["--queueHost", "127.0.0.1", "--queuePort", QueuePort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--tableHost", "127.0.0.1", "--tablePort", TablePort.ToString(System.Globalization.CultureInfo.InvariantCulture)])
            {
                start.ArgumentList.Add(arg);
            }
        }

        int closedServices = 0;
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

            // Printed by each service once it is closed and its metadata saved to the data folder.
            if (e.Data?.Contains("successfully closed", StringComparison.Ordinal) == true && Interlocked.Increment(ref closedServices) == _ports.Length)
            {
                closed.TrySetResult();
            }
        };
        Assert.True(_process.Start(), "node did not start.");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        // node can take a while to start when the test run keeps every core busy.
        for (int i = 0; i < 600 && !await AllAcceptAsync(); i++)
        {
            Assert.False(_process.HasExited, $"Azurite exited at start with code {(_process.HasExited ? _process.ExitCode : 0)}: {string.Join(" | ", _log)}");
            await Task.Delay(100);
        }

        Assert.True(await AllAcceptAsync(), $"Azurite did not listen on 127.0.0.1:{string.Join(", ", _ports)} within 60 s: {string.Join(" | ", _log)}");
    }

    /// <summary>
    /// Kills Azurite with SIGKILL, as a crash: nothing is saved on the way out, so what it had not yet written to its
    /// data folder is lost (it saves its metadata every 5 s).
    /// </summary>
    /// <returns>A task.</returns>
    public async Task KillAsync()
    {
        Process process = _process ?? throw new InvalidOperationException("Azurite is not running.");
        process.Kill(); // SIGKILL on Linux and macOS
        await process.WaitForExitAsync();
        process.Dispose();
        _process = null;
        Assert.False(await AcceptsAsync(), "Azurite still accepts connections after SIGKILL.");
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

    private async Task<bool> AllAcceptAsync()
    {
        foreach (int port in _ports)
        {
            if (!await AcceptsAsync(port))
            {
                return false;
            }
        }

        return true;
    }

    private Task<bool> AcceptsAsync() => AcceptsAsync(Port);

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(1));
            return true;
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            return false;
        }
    }
}
