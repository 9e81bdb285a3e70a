using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace AdvAudit.Functions.Tests.TestSupport;

/// <summary>
/// A loopback TCP forwarder in front of one port that a test can close, as the network between clients and a service
/// going down: open connections are reset and new ones are reset as soon as they are accepted, until it is opened
/// again. The service behind it keeps running (or is restarted on its port) while clients cannot reach it.
/// </summary>
internal sealed class TcpGate : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly Task _accepting;
    private volatile bool _closed;

    public TcpGate(int targetPort)
    {
        _target = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    /// <summary>Gets the port clients connect to.</summary>
    public int Port { get; }

    /// <summary>Resets every open connection and every new one until <see cref="Open"/>.</summary>
    public void Close()
    {
        _closed = true;
        foreach (Socket socket in _open.Keys)
        {
            Reset(socket);
        }
    }

    /// <summary>Forwards new connections again.</summary>
    public void Open() => _closed = false;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Close();
        _stop.Dispose();
    }

    private static void Reset(Socket socket)
    {
        try
        {
            // A zero linger time makes the close a reset, as a dropped network looks to both ends.
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }

        socket.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (_closed)
            {
                Reset(client);
            }
            else
            {
                _ = ForwardAsync(client);
            }
        }
    }

    private async Task ForwardAsync(Socket client)
    {
        var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        _open[client] = 0;
        _open[server] = 0;
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
            using var toServer = new NetworkStream(client, ownsSocket: false);
            using var toClient = new NetworkStream(server, ownsSocket: false);

            // HTTP never half-closes: when either side ends, the connection is over.
            await Task.WhenAny(toServer.CopyToAsync(toClient, _stop.Token), toClient.CopyToAsync(toServer, _stop.Token));
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The service is down or the gate was closed: the client sees its connection reset.
        }
        finally
        {
            _open.TryRemove(client, out _);
            _open.TryRemove(server, out _);
            Reset(client);
            Reset(server);
        }
    }
}
