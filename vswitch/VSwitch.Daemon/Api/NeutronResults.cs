using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using VSwitch.Control.Model;

namespace VSwitch.Daemon.Api;

/// <summary>
/// The API's answers: JSON bodies with Neutron's envelope (<c>{"network": {...}}</c>, <c>{"networks": [...]}</c>) and
/// Neutron's error body <c>{"NeutronError": {"type", "message", "detail"}}</c>.
/// </summary>
/// <remarks>
/// Every error the API gives, including authentication, unknown paths and oversized bodies, uses the NeutronError body,
/// because the OpenStack SDK reads <c>NeutronError.message</c> to show the user what went wrong.
/// </remarks>
internal static class NeutronResults
{
    public static IResult Json(JsonNode body, int status = StatusCodes.Status200OK) =>
        Results.Text(body.ToJsonString(), "application/json", System.Text.Encoding.UTF8, status);

    public static IResult One(string key, JsonObject resource, int status = StatusCodes.Status200OK) =>
        Json(new JsonObject { [key] = resource }, status);

    public static IResult Many(string key, IEnumerable<JsonObject> resources, int status = StatusCodes.Status200OK) =>
        Json(new JsonObject { [key] = new JsonArray([.. resources]) }, status);

    public static IResult Error(NeutronException ex) => Error(ex.StatusCode, ex.Type, ex.Message, ex.Detail);

    public static IResult Error(int status, string type, string message, string detail = "") =>
        Json(ErrorBody(type, message, detail), status);

    public static JsonObject ErrorBody(string type, string message, string detail = "") => new()
    {
        ["NeutronError"] = new JsonObject { ["type"] = type, ["message"] = message, ["detail"] = detail },
    };
}
