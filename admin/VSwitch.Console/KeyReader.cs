using System.Threading.Channels;

namespace VSwitch.Console;

/// <summary>
/// Reads keys on a background thread and hands them to the console's loop, one at a time.
/// </summary>
/// <remarks>
/// What: a dedicated thread blocks in <see cref="System.Console.ReadKey(bool)"/> and posts each key to a channel the
/// loop awaits together with its refresh timer. Why one at a time: the prompts (Spectre's <c>TextPrompt</c>, ...)
/// read the keyboard themselves, on the loop's thread. If this thread were already blocked in another ReadKey it
/// would steal the prompt's first key. So after each key the thread waits for <see cref="Next"/>, which the loop calls
/// once the key is handled, that is after any prompt it opened has finished. Thread-safety: <see cref="ReadAsync"/>
/// and <see cref="Next"/> are called by the loop only. The thread is a background thread: a pending ReadKey does not
/// keep the process alive after the console quits.
/// </remarks>
internal sealed class KeyReader : IDisposable
{
    private readonly Channel<ConsoleKeyInfo> _keys = Channel.CreateBounded<ConsoleKeyInfo>(1);
    private readonly SemaphoreSlim _permit = new(1);
    private readonly CancellationTokenSource _stop = new();

    public KeyReader()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "console keys" };
        thread.Start();
    }

    private void Run()
    {
        try
        {
            while (true)
            {
                _permit.Wait(_stop.Token);
                var key = System.Console.ReadKey(intercept: true);
                _keys.Writer.TryWrite(key);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (InvalidOperationException)
        {
            // Standard input is not a terminal (or was closed): no more keys.
        }
    }

    /// <summary>The next key, or null when none came within <paramref name="timeout"/>.</summary>
    public async Task<ConsoleKeyInfo?> ReadAsync(TimeSpan timeout, CancellationToken cancellation)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timer.CancelAfter(timeout);
        try
        {
            return await _keys.Reader.ReadAsync(timer.Token);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Lets the thread read the next key (call when the previous key, and any prompt it opened, is done).</summary>
    public void Next() => _permit.Release();

    public void Dispose() => _stop.Cancel();
}
