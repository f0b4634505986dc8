using System.Net;
using System.Text.Json.Nodes;

namespace VSwitch.Api.Tests;

/// <summary>Neutron's <c>revision-if-match</c>: <c>If-Match: revision_number=N</c> on updates and deletes.</summary>
public sealed class IfMatchApiTests : ApiHostTest
{
    [Fact]
    public async Task Update_AtTheNamedRevision_Applies_ElseIs412AndChangesNothing()
    {
        var network = await _client.CreateAsync("networks", "network", """{"network": {"name": "n"}}""");
        var id = (string)network["id"]!;
        var revision = (long)network["revision_number"]!;

        var stale = await Send(HttpMethod.Put, $"v2.0/networks/{id}", """{"network": {"name": "n2"}}""", $"revision_number={revision + 1}");
        Assert.Contains($"Constrained to {revision + 1}, but current revision is {revision}",
            Http.AssertError(stale, HttpStatusCode.PreconditionFailed, "RevisionNumberConstraintFailed"));
        Assert.Equal("n", (string)(await _client.GetJson($"v2.0/networks/{id}")).Body!["network"]!["name"]!);

        var (status, body) = await Send(HttpMethod.Put, $"v2.0/networks/{id}", """{"network": {"name": "n2"}}""", $"revision_number={revision}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(revision + 1, (long)body!["network"]!["revision_number"]!);

        // A second writer that read the same revision loses.
        Http.AssertError(await Send(HttpMethod.Put, $"v2.0/networks/{id}", """{"network": {"name": "n3"}}""", $"revision_number={revision}"),
            HttpStatusCode.PreconditionFailed);
    }

    [Fact]
    public async Task Delete_OfEveryResource_HonoursTheRevision()
    {
        var group = await _client.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "g"}}""");
        var rule = (JsonNode)group["security_group_rules"]![0]!;
        foreach (var (path, revision) in new[] { ($"v2.0/security-group-rules/{rule["id"]}", (long)rule["revision_number"]!), ($"v2.0/security-groups/{group["id"]}", (long)group["revision_number"]! + 1) })
        {
            Http.AssertError(await Send(HttpMethod.Delete, path, null, $"revision_number={revision + 5}"), HttpStatusCode.PreconditionFailed);
            Assert.Equal(HttpStatusCode.NoContent, (await Send(HttpMethod.Delete, path, null, $"revision_number={revision}")).Status);
        }
    }

    [Theory]
    [InlineData("revision_number=x")]
    [InlineData("revision_number=-1")]
    [InlineData("revision_number=1, revision_number=2")]
    public async Task MalformedConstraint_Is400(string ifMatch)
    {
        var network = await _client.CreateAsync("networks", "network", """{"network": {"name": "n"}}""");
        Http.AssertError(await Send(HttpMethod.Put, $"v2.0/networks/{network["id"]}", """{"network": {"name": "x"}}""", ifMatch), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task OtherIfMatchValues_AreIgnored()
    {
        var network = await _client.CreateAsync("networks", "network", """{"network": {"name": "n"}}""");
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Put, $"v2.0/networks/{network["id"]}", """{"network": {"name": "x"}}""", "\"some-etag\"")).Status);
    }

    private Task<(HttpStatusCode Status, JsonNode? Body)> Send(HttpMethod method, string path, string? json, string ifMatch) =>
        _client.SendJson(method, path, json, ("If-Match", ifMatch));
}
