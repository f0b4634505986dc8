using Microsoft.Extensions.Logging;

namespace VSwitch.Daemon.Hosting;

/// <summary>
/// Writes the daemon's log as single lines to a file (<c>STATE_DIR/vswitchd.log</c>), in the console logger's format.
/// </summary>
/// <remarks>
/// What: used instead of the console logger when <c>vswitchd --console</c> runs the operator console on the terminal,
/// so log lines never land on the console's screen. Appends (a restart keeps the earlier log). Thread-safety: one
/// lock around the writer; the log is not on the data path (workers never log per packet).
/// </remarks>
internal sealed class FileLoggerProvider : ILoggerProvider
{
    private readonly StreamWriter _writer;
    private readonly Lock _lock = new();

    public FileLoggerProvider(string path)
    {
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        Path = path;
    }

    public string Path { get; }

    public ILogger CreateLogger(string categoryName) => new FileLogger(this, categoryName);

    public void Dispose()
    {
        lock (_lock)
        {
            _writer.Dispose();
        }
    }

    private void Write(string line)
    {
        lock (_lock)
        {
            _writer.WriteLine(line);
        }
    }

    private sealed class FileLogger(FileLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var level = logLevel switch
            {
                LogLevel.Trace => "trce",
                LogLevel.Debug => "dbug",
                LogLevel.Information => "info",
                LogLevel.Warning => "warn",
                LogLevel.Error => "fail",
                _ => "crit",
            };
            var text = $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fff} {level}: {category}[{eventId.Id}] {formatter(state, exception)}";
            provider.Write(exception is null ? text.ReplaceLineEndings(" ") : $"{text.ReplaceLineEndings(" ")} {exception.ToString().ReplaceLineEndings(" | ")}");
        }
    }
}
