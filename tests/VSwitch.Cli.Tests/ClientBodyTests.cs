using VSwitch.Admin.Client;
using VSwitch.Cli.Tests.Infrastructure;

namespace VSwitch.Cli.Tests;

/// <summary>
/// How the API client reads answers: the envelope's member straight from the UTF-8 body, the rest still checked to
/// be JSON, and every malformed answer turned into one connection error that names what was wrong.
/// </summary>
public sealed class ClientBodyTests
{
    private static VSwitchClient Client(FakeApi api) => new(new HttpClient(api) { BaseAddress = new Uri("http://vswitch/") });

    [Fact]
    public async Task List_MemberAmongOthers_IsRead()
    {
        using var client = Client(new FakeApi().On("GET", "/v2.0/ports",
            """{"ports_links": [{"rel": "next", "href": "x"}], "ports": [{"id": "p-1", "name": "web", "network_id": "n-1", "fixed_ips": [{"ip_address": "198.18.0.1"}]}], "extra": {"a": [1, 2]}}"""));

        var ports = await client.ListPortsAsync();

        var port = Assert.Single(ports);
        Assert.Equal(("p-1", "web", "198.18.0.1"), (port.Id, port.Name, port.FixedIps[0].IpAddress));
    }

    [Theory]
    [InlineData("""{"networks": []}""", "answered without 'ports'")]
    [InlineData("""{"ports": null}""", "answered without 'ports'")]
    [InlineData("""[1, 2]""", "answered without 'ports'")]
    [InlineData("", "answered without 'ports'")]
    [InlineData("""<html>bad gateway</html>""", "with a body that is not JSON")]
    [InlineData("""{"ports": [{"id": "p-1"}]} trailing""", "with a body that is not JSON")]
    [InlineData("""{"ports": [{"id": "p-1"}], "other": [}""", "with a body that is not JSON")]
    [InlineData("""{"ports": {"id": "p-1"}}""", "with a body that is not JSON")]
    public async Task List_MalformedAnswer_IsOneConnectionError(string body, string expected)
    {
        using var client = Client(new FakeApi().On("GET", "/v2.0/ports", body));

        var error = await Assert.ThrowsAsync<VSwitchConnectionException>(() => client.ListPortsAsync());

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public async Task Stats_WholeBodyIsTheValue()
    {
        using var client = Client(new FakeApi().On("GET", "/v2.0/vswitch/stats",
            """{"port_stats": [{"port_id": "p-1", "name": "web", "rx_packets": "12", "drops": {"ingress": {"spoofing": 2}, "egress": {}}}], "conntrack": {"entries": 3}}"""));

        var stats = await client.GetStatsAsync();

        Assert.Equal(12, stats.PortStats[0].RxPackets);
        Assert.Equal(2, stats.PortStats[0].Drops!.Ingress["spoofing"]);
        Assert.Equal(3, stats.Conntrack!.Entries);
    }

    [Fact]
    public async Task Stats_TrailingGarbage_IsNotJson()
    {
        using var client = Client(new FakeApi().On("GET", "/v2.0/vswitch/stats", "{\"port_stats\": []} {"));

        var error = await Assert.ThrowsAsync<VSwitchConnectionException>(() => client.GetStatsAsync());

        Assert.Contains("with a body that is not JSON", error.Message);
    }

    [Fact]
    public async Task Body_LargerThanTheLimit_IsRefusedBeforeItIsRead()
    {
        using var client = new VSwitchClient(new HttpClient(new Huge()) { BaseAddress = new Uri("http://vswitch/") });

        var error = await Assert.ThrowsAsync<VSwitchConnectionException>(() => client.GetStatsAsync());

        Assert.Contains("a body larger than 256 MiB", error.Message);
    }

    /// <summary>Announces an answer of 300 MiB.</summary>
    private sealed class Huge : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var content = new ByteArrayContent("{}"u8.ToArray());
            content.Headers.ContentLength = 300L << 20;
            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = content });
        }
    }

    [Fact]
    public async Task One_NullMember_IsAConnectionError()
    {
        using var client = Client(new FakeApi().On("GET", "/v2.0/ports/p-1", """{"port": null}"""));

        var error = await Assert.ThrowsAsync<VSwitchConnectionException>(() => client.GetPortAsync("p-1"));

        Assert.Contains("answered without 'port'", error.Message);
    }

    [Fact]
    public async Task Refusal_IsTheNeutronError_EvenWhenItsBodyIsNotJson()
    {
        using var client = Client(new FakeApi()
            .On("GET", "/v2.0/ports/p-1", """{"NeutronError": {"type": "PortNotFound", "message": "Port p-1 could not be found.", "detail": ""}}""", System.Net.HttpStatusCode.NotFound)
            .On("GET", "/v2.0/ports/p-2", "<html>502</html>", System.Net.HttpStatusCode.BadGateway));

        var found = await Assert.ThrowsAsync<VSwitchApiException>(() => client.GetPortAsync("p-1"));
        var proxy = await Assert.ThrowsAsync<VSwitchApiException>(() => client.GetPortAsync("p-2"));

        Assert.Equal(("PortNotFound", "Port p-1 could not be found."), (found.Type, found.Message));
        Assert.Equal((502, "HTTPError"), (proxy.StatusCode, proxy.Type));
    }
}
