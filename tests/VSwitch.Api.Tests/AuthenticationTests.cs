using System.Net;

namespace VSwitch.Api.Tests;

public sealed class AuthenticationTests : IAsyncLifetime
{
    private ApiHost _host = null!;

    public async Task InitializeAsync() => _host = await ApiHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData(null)]
    [InlineData("wrong")]
    [InlineData(ApiHost.Token + "x")]
    [InlineData("")]
    public async Task Tcp_WithoutTheToken_Is401(string? token)
    {
        using var client = _host.TcpClient(token);
        Http.AssertError(await client.GetJson("v2.0/networks"), HttpStatusCode.Unauthorized, "HTTPUnauthorized");
        Http.AssertError(await client.PostJson("v2.0/networks", """{"network": {"name": "x"}}"""), HttpStatusCode.Unauthorized);
        Assert.Empty(_host.Models.Current.Networks);
    }

    [Fact]
    public async Task Tcp_WithTheToken_Works()
    {
        using var client = _host.TcpClient(ApiHost.Token);
        await client.CreateAsync("networks", "network", """{"network": {"name": "x"}}""");
        Assert.Equal(HttpStatusCode.OK, (await client.GetJson("v2.0/networks")).Status);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task UnixSocket_NeedsNoToken_AndIsMode0660()
    {
        using var client = _host.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetJson("v2.0/networks")).Status);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite,
            File.GetUnixFileMode(_host.SocketPath));
    }
}
