using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace VSwitch.Daemon.Api;

/// <summary>
/// Requires <c>X-Auth-Token</c> on every request that arrived over TCP; requests over the Unix socket are trusted
/// (the socket's mode 0660 and its directory decide who can connect).
/// </summary>
/// <remarks>
/// The comparison is constant-time: both sides are hashed with SHA-256 first (so their lengths leak nothing either) and
/// the digests compared with <see cref="CryptographicOperations.FixedTimeEquals"/>. A missing or wrong token is 401 with
/// a NeutronError body, as Keystone's middleware would answer.
/// </remarks>
internal sealed class TokenAuthentication(byte[]? token)
{
    private readonly byte[]? _digest = token is null ? null : SHA256.HashData(token);

    public async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        if (http.Connection.LocalIpAddress is not null)
        {
            // Exactly one header: with two, which one a proxy added and which the client sent is anyone's guess.
            var headers = http.Request.Headers["X-Auth-Token"];
            var given = headers.Count == 1 ? headers[0] : null;
            if (_digest is null || given is null
                || !CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), _digest))
            {
                http.Response.Headers.WWWAuthenticate = "Keystone uri=\"none\"";
                await NeutronResults.Error(StatusCodes.Status401Unauthorized, "HTTPUnauthorized", headers.Count > 1
                    ? "Authentication required: exactly one X-Auth-Token header (this request has several)"
                    : "Authentication required: a valid X-Auth-Token header").ExecuteAsync(http);
                return;
            }
        }
        await next(http);
    }
}
