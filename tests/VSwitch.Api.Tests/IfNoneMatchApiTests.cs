using System.Net;

namespace VSwitch.Api.Tests;

/// <summary>
/// Conditional GET of the lists the console reads every second: an ETag on the answer, 304 with no body while the
/// list is unchanged, a new tag (and the new list) after any change, and tags that differ by query and by project.
/// </summary>
public sealed class IfNoneMatchApiTests : ApiHostTest
{
    private async Task<(HttpStatusCode Status, string? Tag, string Body)> Get(string path, string? ifNoneMatch = null, string? project = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }
        if (project is not null)
        {
            request.Headers.Add("X-Project-Id", project);
        }
        using var response = await _client.SendAsync(request);
        return (response.StatusCode, response.Headers.ETag?.ToString(), await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("v2.0/ports")]
    [InlineData("v2.0/security-groups")]
    public async Task UnchangedList_Is304WithNoBody_UntilSomethingChanges(string path)
    {
        var network = await _client.CreateAsync("networks", "network", """{"network": {"name": "n"}}""");
        await _client.CreateAsync("ports", "port", $$$"""{"port": {"name": "a", "network_id": "{{{network["id"]}}}"}}""");
        var (status, tag, body) = await Get(path);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotNull(tag);
        Assert.Contains("\"id\"", body);

        var again = await Get(path, tag);
        Assert.Equal((HttpStatusCode.NotModified, tag, ""), again);
        Assert.Equal(HttpStatusCode.NotModified, (await Get(path, $"W/{tag}")).Status);
        Assert.Equal(HttpStatusCode.NotModified, (await Get(path, $"\"other\", {tag}")).Status);
        Assert.Equal(HttpStatusCode.NotModified, (await Get(path, "*")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Get(path, "\"other\"")).Status);

        var group = await _client.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "web"}}""");
        await _client.CreateAsync("ports", "port", $$$"""{"port": {"name": "b", "network_id": "{{{network["id"]}}}", "security_groups": ["{{{group["id"]}}}"]}}""");
        var (changed, newTag, newBody) = await Get(path, tag);
        Assert.Equal(HttpStatusCode.OK, changed);
        Assert.NotEqual(tag, newTag);
        Assert.Contains(path.EndsWith("ports", StringComparison.Ordinal) ? "\"name\":\"b\"" : "\"name\":\"web\"", newBody.Replace(" ", ""));
        Assert.Equal(HttpStatusCode.NotModified, (await Get(path, newTag)).Status);
    }

    [Theory]
    [InlineData("v2.0/ports")]
    [InlineData("v2.0/security-groups")]
    public async Task Tags_DifferByQueryAndByProject(string path)
    {
        // Both projects first (listing groups creates a project's default group, which changes the model).
        await Get("v2.0/security-groups");
        await Get("v2.0/security-groups", project: "fresh");
        var (_, all, _) = await Get(path);
        var (_, named, _) = await Get($"{path}?name=default");
        var (_, other, otherBody) = await Get(path, project: "fresh");
        Assert.Equal(HttpStatusCode.NotModified, (await Get(path, all)).Status);

        Assert.Equal(3, new[] { all, named, other }.Distinct().Count());
        // The other project's list is its own, even to a caller holding the first project's tag.
        var (status, _, body) = await Get(path, all, project: "fresh");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(otherBody, body);
    }

    [Fact]
    public async Task Refusal_CarriesNoTag()
    {
        var (status, tag, _) = await Get("v2.0/ports?limit=2&marker=not-a-port");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Null(tag);
    }
}
