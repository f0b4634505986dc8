using System.Net;

namespace VSwitch.Api.Tests;

/// <summary>Sharing a security group with another project (or every project) through <c>/v2.0/rbac-policies</c>.</summary>
public sealed class RbacPoliciesApiTests : MembersApiTest
{
    [Fact]
    public async Task SharedGroup_IsVisibleAndUsableByTheTarget_ButReadOnly()
    {
        var group = await _p1.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "web-shared"}}""");
        var id = (string)group["id"]!;
        Http.AssertError(await _p2.GetJson($"v2.0/security-groups/{id}"), HttpStatusCode.NotFound);

        var policy = await _p1.CreateAsync("rbac-policies", "rbac_policy",
            $$$"""{"rbac_policy": {"object_type": "security_group", "object_id": "{{{id}}}", "action": "access_as_shared", "target_tenant": "p2"}}""");
        Assert.Equal(("p1", "p2"), ((string)policy["project_id"]!, (string)policy["target_tenant"]!));

        var seen = (await _p2.GetJson($"v2.0/security-groups/{id}")).Body!["security_group"]!;
        Assert.True((bool)seen["shared"]!);
        Assert.Contains((await _p2.GetJson("v2.0/security-group-rules")).Body!["security_group_rules"]!.AsArray(), r => (string)r!["security_group_id"]! == id);

        // Read-only for the target: no renaming, no new rule, no deleting, no tags.
        Http.AssertError(await _p2.PutJson($"v2.0/security-groups/{id}", """{"security_group": {"name": "mine-now"}}"""), HttpStatusCode.Forbidden, "PolicyNotAuthorized");
        Http.AssertError(await _p2.PostJson("v2.0/security-group-rules", $$$"""{"security_group_rule": {"security_group_id": "{{{id}}}", "direction": "ingress"}}"""),
            HttpStatusCode.Forbidden, "PolicyNotAuthorized");
        Http.AssertError(await _p2.DeleteJson($"v2.0/security-groups/{id}"), HttpStatusCode.Forbidden);
        Http.AssertError(await _p2.SendJson(HttpMethod.Put, $"v2.0/security-groups/{id}/tags/x"), HttpStatusCode.Forbidden);

        // ...but its ports may be in it.
        var net = (string)(await _p2.CreateAsync("networks", "network", """{"network": {"name": "n2"}}"""))["id"]!;
        var port = (string)(await _p2.CreateAsync("ports", "port", $$$"""{"port": {"network_id": "{{{net}}}", "security_groups": ["{{{id}}}"]}}"""))["id"]!;

        // Taking the share away while p2's port is in the group is refused; after the port leaves, it is not.
        Http.AssertError(await _p1.DeleteJson($"v2.0/rbac-policies/{policy["id"]}"), HttpStatusCode.Conflict, "RbacPolicyInUse");
        Http.AssertError(await _p1.PutJson($"v2.0/rbac-policies/{policy["id"]}", """{"rbac_policy": {"target_tenant": "p3"}}"""), HttpStatusCode.Conflict, "RbacPolicyInUse");
        Assert.Equal(HttpStatusCode.NoContent, (await _p2.DeleteJson($"v2.0/ports/{port}")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await _p1.DeleteJson($"v2.0/rbac-policies/{policy["id"]}")).Status);
        Http.AssertError(await _p2.GetJson($"v2.0/security-groups/{id}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task SharedWithEveryone_AndPoliciesGoWithTheirGroup()
    {
        var id = (string)(await _p1.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "public"}}"""))["id"]!;
        var policy = (string)(await _p1.CreateAsync("rbac-policies", "rbac_policy",
            $$$"""{"rbac_policy": {"object_type": "security_group", "object_id": "{{{id}}}", "action": "access_as_shared", "target_project": "*"}}"""))["id"]!;
        Assert.Equal(HttpStatusCode.OK, (await _p2.GetJson($"v2.0/security-groups/{id}")).Status);
        Assert.Empty((await _p2.GetJson("v2.0/rbac-policies")).Body!["rbac_policies"]!.AsArray());
        Assert.Single((await _p1.GetJson("v2.0/rbac-policies")).Body!["rbac_policies"]!.AsArray());
        Assert.Equal(HttpStatusCode.NoContent, (await _p1.DeleteJson($"v2.0/security-groups/{id}")).Status);
        Http.AssertError(await Operator.GetJson($"v2.0/rbac-policies/{policy}"), HttpStatusCode.NotFound, "RbacPolicyNotFound");
    }

    [Theory]
    [InlineData("network", "access_as_shared", "p2", HttpStatusCode.BadRequest)]
    [InlineData("security_group", "access_as_external", "p2", HttpStatusCode.BadRequest)]
    [InlineData("security_group", "access_as_shared", "", HttpStatusCode.BadRequest)]
    public async Task BadPolicy_IsRefused(string type, string action, string target, HttpStatusCode status)
    {
        var id = (string)(await _p1.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "g"}}"""))["id"]!;
        var model = _host.Models.Current;
        Http.AssertError(await _p1.PostJson("v2.0/rbac-policies",
            $$$"""{"rbac_policy": {"object_type": "{{{type}}}", "object_id": "{{{id}}}", "action": "{{{action}}}", "target_tenant": "{{{target}}}"}}"""), status);
        Assert.Same(model, _host.Models.Current);
    }

    [Fact]
    public async Task OnlyTheOwnerShares_AndNotTwice()
    {
        var id = (string)(await _p1.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "g"}}"""))["id"]!;
        var body = $$$"""{"rbac_policy": {"object_type": "security_group", "object_id": "{{{id}}}", "action": "access_as_shared", "target_tenant": "p2"}}""";
        Http.AssertError(await _p2.PostJson("v2.0/rbac-policies", body), HttpStatusCode.NotFound, "SecurityGroupNotFound");
        await _p1.CreateAsync("rbac-policies", "rbac_policy", body);
        Http.AssertError(await _p1.PostJson("v2.0/rbac-policies", body), HttpStatusCode.Conflict, "DuplicateRbacPolicy");
        // Once shared, the target still may not share it further.
        Http.AssertError(await _p2.PostJson("v2.0/rbac-policies", body.Replace("\"p2\"", "\"p3\"", StringComparison.Ordinal)), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Policies_SurviveARestart()
    {
        var dir = Directory.CreateTempSubdirectory("vswitch-api-rbac-").FullName;
        try
        {
            string id;
            await using (var first = await ApiHost.StartAsync(dir))
            {
                using var p1 = first.TcpClient(ApiHost.MemberToken);
                id = (string)(await p1.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "g"}}"""))["id"]!;
                await p1.CreateAsync("rbac-policies", "rbac_policy",
                    $$$"""{"rbac_policy": {"object_type": "security_group", "object_id": "{{{id}}}", "action": "access_as_shared", "target_tenant": "p2"}}""");
            }
            await using var second = await ApiHost.StartAsync(dir);
            using var p2 = second.TcpClient(ApiHost.OtherMemberToken);
            Assert.Equal(HttpStatusCode.OK, (await p2.GetJson($"v2.0/security-groups/{id}")).Status);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
