using Microsoft.AspNetCore.Http;

namespace VSwitch.Daemon.Api;

/// <summary>
/// Requires <c>X-Auth-Token</c> on every request that arrived over TCP and records who the token is
/// (<see cref="Caller"/>, in <see cref="HttpContext.Items"/>); requests over the Unix socket are the operator's
/// (the socket's mode 0660 and its directory decide who can connect).
/// </summary>
/// <remarks>
/// The comparison is constant-time (<see cref="ApiTokens.Match"/>). A missing or wrong token is 401 with a NeutronError
/// body, as Keystone's middleware would answer.
/// </remarks>
internal sealed class TokenAuthentication(ApiTokens? tokens)
{
    /// <summary>The key of the request's <see cref="Caller"/> in <see cref="HttpContext.Items"/>.</summary>
    public static readonly object CallerKey = new();

    public async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        if (http.Connection.LocalIpAddress is not null)
        {
            // Exactly one header: with two, which one a proxy added and which the client sent is anyone's guess.
            var headers = http.Request.Headers["X-Auth-Token"];
            var given = headers.Count == 1 ? headers[0] : null;
            var caller = given is null ? null : tokens?.Match(given);
            if (caller is null)
            {
                http.Response.Headers.WWWAuthenticate = "Keystone uri=\"none\"";
                await NeutronResults.Error(StatusCodes.Status401Unauthorized, "HTTPUnauthorized", headers.Count > 1
                    ? "Authentication required: exactly one X-Auth-Token header (this request has several)"
                    : "Authentication required: a valid X-Auth-Token header").ExecuteAsync(http);
                return;
            }
            http.Items[CallerKey] = caller;
        }
        await next(http);
    }
}
