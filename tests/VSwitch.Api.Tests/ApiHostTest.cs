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

/// <summary>
/// An <see cref="ApiHostTest"/> with three callers: the operator over the socket, and members of projects <c>p1</c> and
/// <c>p2</c> over TCP with their tokens.
/// </summary>
public abstract class MembersApiTest : ApiHostTest
{
    private protected HttpClient _p1 = null!;
    private protected HttpClient _p2 = null!;

    /// <summary>The operator, over the Unix socket.</summary>
    private protected HttpClient Operator => _client;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _p1 = _host.TcpClient(ApiHost.MemberToken);
        _p2 = _host.TcpClient(ApiHost.OtherMemberToken);
    }

    public override async Task DisposeAsync()
    {
        _p1.Dispose();
        _p2.Dispose();
        await base.DisposeAsync();
    }
}
