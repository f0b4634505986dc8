namespace VSwitch.Cli.Commands;

/// <summary>
/// A file created by its first write: a command that fails before it has anything to write (a refused request)
/// leaves an existing file as it was, and creates no empty one.
/// </summary>
internal sealed class LazyFile(string path) : Stream
{
    private FileStream? _file;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _file?.Length ?? 0;

    public override long Position { get => _file?.Position ?? 0; set => throw new NotSupportedException(); }

    private FileStream File => _file ??= new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);

    public override void Write(byte[] buffer, int offset, int count) => File.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> buffer) => File.Write(buffer);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        File.WriteAsync(buffer, cancellationToken);

    public override void Flush() => _file?.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _file?.FlushAsync(cancellationToken) ?? Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file?.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_file is not null)
        {
            await _file.DisposeAsync();
        }
        await base.DisposeAsync();
    }
}
