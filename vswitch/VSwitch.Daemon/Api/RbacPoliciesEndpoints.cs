using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using VSwitch.Control.Model;

namespace VSwitch.Daemon.Api;

/// <summary>
/// <c>/v2.0/rbac-policies</c> (Neutron's <c>rbac-policies</c> with <c>rbac-security-groups</c>): share a security group
/// with a project or with every project (<c>access_as_shared</c>); list, show, create, retarget, delete. See
/// <see cref="RbacOperations"/>.
/// </summary>
internal static class RbacPoliciesEndpoints
{
    private static readonly HashSet<string> s_fields = ["object_type", "object_id", "action", "target_tenant", "target_project", "project_id", "tenant_id"];

    public static void Map(IEndpointRouteBuilder app, ApiContext api)
    {
        app.MapGet("/v2.0/rbac-policies", (HttpContext http) =>
            ListQuery.Answer("rbac_policies", RbacOperations.List(api.Models.Current, api.For(http)).Select(View), http.Request, NotFound));
        app.MapGet("/v2.0/rbac-policies/{id}", (HttpContext http, string id) =>
            NeutronResults.One("rbac_policy", ListQuery.Fields(View(RbacOperations.Get(api.Models.Current, Id(id), api.For(http))), http.Request.Query)));
        app.MapPost("/v2.0/rbac-policies", async (HttpContext http) =>
        {
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var request = Read(RequestBody.Envelope(document, "rbac_policy", s_fields));
            var context = api.For(http);
            var policy = api.Models.Execute(model => RbacOperations.Create(model, request, context));
            return NeutronResults.One("rbac_policy", View(policy), StatusCodes.Status201Created);
        });
        app.MapPut("/v2.0/rbac-policies/{id}", async (HttpContext http, string id) =>
        {
            var policyId = Id(id);
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var request = Read(RequestBody.Envelope(document, "rbac_policy", s_fields));
            var context = api.For(http);
            var policy = api.Models.Execute(model => RbacOperations.Update(model, policyId, request, context));
            return NeutronResults.One("rbac_policy", View(policy));
        });
        app.MapDelete("/v2.0/rbac-policies/{id}", (HttpContext http, string id) =>
        {
            var policyId = Id(id);
            var context = api.For(http);
            api.Models.Execute(model => RbacOperations.Delete(model, policyId, context));
            return Results.NoContent();
        });
    }

    private static JsonObject View(RbacPolicy p) => new()
    {
        ["id"] = p.Id.ToString(),
        ["object_type"] = p.ObjectType,
        ["object_id"] = p.ObjectId.ToString(),
        ["action"] = p.Action,
        ["target_tenant"] = p.Target,
        ["target_project"] = p.Target,
        ["project_id"] = p.ProjectId.Value,
        ["tenant_id"] = p.ProjectId.Value,
    };

    /// <summary><c>target_tenant</c> or its newer name <c>target_project</c> (they must agree when both are given).</summary>
    private static RbacPolicyBody Read(RequestBody body)
    {
        var tenant = body.String("target_tenant");
        var project = body.String("target_project");
        if (tenant is not null && project is not null && tenant != project)
        {
            throw NeutronErrors.InvalidAttribute("target_project", "target_project and target_tenant do not match");
        }
        return new RbacPolicyBody(body.String("object_type"), body.Uuid("object_id"), body.String("action"), tenant ?? project, body.Project());
    }

    private static Guid Id(string text) => Guid.TryParseExact(text, "D", out var id) ? id : throw NotFound(text);

    private static NeutronException NotFound(string text) => new(404, "RbacPolicyNotFound", $"RBAC policy of type security_group with ID {text} not found");
}
