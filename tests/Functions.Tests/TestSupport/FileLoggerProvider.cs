using Microsoft.Extensions.Logging;

namespace AdvAudit.Functions.Tests.TestSupport;

/// <summary>
/// Appends log lines to a file: what the durable backend did, when a test on it must be understood. Opted into with
/// the ADVAUDIT_TEST_DURABLE_LOG environment variable (the file's path); without it nothing is logged.
/// </summary>
internal sealed class FileLoggerProvider(string path) : ILoggerProvider
{
    private readonly StreamWriter _writer = new(path, append: true) { AutoFlush = true };

    public static ILoggerProvider? FromEnvironment() =>
        Environment.GetEnvironmentVariable("ADVAUDIT_TEST_DURABLE_LOG") is { Length: > 0 } path ? new FileLoggerProvider(path) : null;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() => _writer.Dispose();

    private void Write(string line)
    {
        lock (_writer)
        {
            _writer.WriteLine(line);
        }
    }

    private sealed class Logger(FileLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner.Write($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception)}");
            }
        }
    }
}
