using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace VSwitch.Daemon.Api;

/// <summary>
/// A JSON answer written straight to the response as it is produced, for the large read-only bodies the console asks
/// for every second (stats of every port, thousands of tracked connections).
/// </summary>
/// <remarks>
/// Why not <see cref="NeutronResults.Json"/>: that builds a <c>JsonObject</c> tree (stats of 1,000 ports is ~40,000
/// nodes), turns it into a string and then into UTF-8; here each value goes once into the response's buffer. The bytes
/// are the same (System.Text.Json writes both). The writer runs after the endpoint returned, so it must only read
/// what it was given (a snapshot, a list), never state that changes.
/// </remarks>
internal sealed class StreamedJson(Action<Utf8JsonWriter> write) : IResult
{
    public async Task ExecuteAsync(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/json; charset=utf-8";
        await using (var writer = new Utf8JsonWriter(http.Response.BodyWriter))
        {
            write(writer);
        }
        await http.Response.BodyWriter.FlushAsync(http.RequestAborted);
    }
}
