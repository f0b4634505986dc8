namespace VSwitch.Api.Tests;

/// <summary>
/// A test class whose every test gets a fresh <see cref="ApiHost"/> and a client over its Unix socket (xUnit makes one
/// instance per test, so nothing is shared between tests).
/// </summary>
public abstract class ApiHostTest : IAsyncLifetime
{
    private protected ApiHost _host = null!;
    private protected HttpClient _client = null!;

    public virtual async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync();
        _client = _host.Client();
    }

    public virtual async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }
}
