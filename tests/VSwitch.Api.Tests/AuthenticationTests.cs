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
    public async Task Tcp_WithTheTokenTwice_Is401()
    {
        // Two header lines (HttpClient would join two values into one line), the right token first.
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _host.TcpPort);
        await using var stream = tcp.GetStream();
        const string Body = """{"network": {"name": "x"}}""";
        var request = $"POST /v2.0/networks HTTP/1.1\r\nHost: x\r\nX-Auth-Token: {ApiHost.Token}\r\nX-Auth-Token: wrong\r\n"
            + $"Content-Type: application/json\r\nContent-Length: {Body.Length}\r\nConnection: close\r\n\r\n{Body}";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(request));
        var answer = await new StreamReader(stream).ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 401", answer);
        Assert.Contains("exactly one X-Auth-Token", answer);
        Assert.Empty(_host.Models.Current.Networks);
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
