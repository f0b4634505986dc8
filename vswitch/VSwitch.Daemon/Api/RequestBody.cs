using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using VSwitch.Control.Model;

namespace VSwitch.Daemon.Api;

/// <summary>
/// A request's resource object, read strictly: the envelope must be there, every member must be an attribute the
/// operation accepts, and every value must have the attribute's type. Each refusal is Neutron's 400 naming the attribute.
/// </summary>
/// <remarks>
/// <para><b>What Neutron accepts</b> (its API layer's converters): booleans as JSON booleans or the strings
/// <c>true</c>/<c>false</c> in any case (<c>convert_to_boolean</c>); integers as JSON integers or decimal strings
/// (<c>convert_to_int</c>); UUIDs in their canonical text form. Unknown members are "Unrecognized attribute(s) 'x'".
/// Whatever the pure operations validate (names' lengths, MACs, CIDRs, protocols, ranges) is left to them; this class
/// only turns JSON into the <c>*Body</c> records.</para>
/// <para><b>Size.</b> Kestrel stops reading a body beyond <see cref="MaxBodySize"/>; that, malformed JSON and a body that is
/// not an object are 400 too.</para>
/// </remarks>
internal sealed class RequestBody(JsonElement resource)
{
    /// <summary>Request bodies above this many bytes are refused (1 MiB holds ~5,000 rules in one bulk request).</summary>
    public const long MaxBodySize = 1 << 20;

    public JsonElement Resource { get; } = resource;

    /// <summary>Reads the body's JSON document (the caller disposes it).</summary>
    public static async Task<JsonDocument> ReadDocumentAsync(HttpRequest request)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 32 }, request.HttpContext.RequestAborted);
        }
        catch (JsonException ex)
        {
            throw NeutronErrors.BadRequestMessage($"Malformed request body: {ex.Message}");
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw NeutronErrors.BadRequestMessage($"Request body is larger than {MaxBodySize} bytes");
        }
        try
        {
            CheckStrings(document.RootElement, "$");
            return document;
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Refuses a body with a string or member name that is not valid UTF-16 (a lone surrogate escape such as
    /// <c>"\ud800"</c>): JSON's grammar allows it, but no attribute can hold it, and every later read of the string would
    /// throw. Checked once here, so the rest of the API may read strings freely.
    /// </summary>
    private static void CheckStrings(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                ReadString(element, path);
                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    CheckStrings(item, $"{path}[{index++}]");
                }
                break;
            case JsonValueKind.Object:
                foreach (var member in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = member.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        throw NeutronErrors.BadRequestMessage($"Malformed request body: a member name in {path} is not valid UTF-16 (a lone surrogate)");
                    }
                    CheckStrings(member.Value, $"{path}.{name}");
                }
                break;
        }
    }

    private static void ReadString(JsonElement element, string path)
    {
        try
        {
            element.GetString();
        }
        catch (InvalidOperationException)
        {
            throw NeutronErrors.BadRequestMessage($"Malformed request body: the string at {path} is not valid UTF-16 (a lone surrogate)");
        }
    }

    /// <summary>The object under <paramref name="key"/> in the envelope, with its members checked against <paramref name="allowed"/>.</summary>
    public static RequestBody Envelope(JsonDocument document, string key, IReadOnlySet<string> allowed)
    {
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(key, out var resource))
        {
            throw NeutronErrors.BadRequestMessage($"Unable to find '{key}' in request body");
        }
        return Checked(resource, key, allowed);
    }

    /// <summary>
    /// The objects of a bulk request <c>{"PLURAL": [{...}, ...]}</c>, each checked against <paramref name="allowed"/>, or
    /// null when the body is not a bulk request (then it is read with <see cref="Envelope"/>).
    /// </summary>
    public static IReadOnlyList<RequestBody>? Bulk(JsonDocument document, string plural, string singular, IReadOnlySet<string> allowed)
    {
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(plural, out var many))
        {
            return null;
        }
        if (many.ValueKind != JsonValueKind.Array || many.GetArrayLength() == 0)
        {
            throw NeutronErrors.InvalidAttribute(plural, $"a non-empty list of {plural} is required");
        }
        if (root.EnumerateObject().Count() > 1)
        {
            throw NeutronErrors.BadRequestMessage($"A bulk request holds only '{plural}'");
        }
        return [.. many.EnumerateArray().Select(r => Checked(r, singular, allowed))];
    }

    /// <summary>Checks one resource object's members.</summary>
    public static RequestBody Checked(JsonElement resource, string key, IReadOnlySet<string> allowed)
    {
        if (resource.ValueKind != JsonValueKind.Object)
        {
            throw NeutronErrors.InvalidAttribute(key, $"'{resource.GetRawText()}' is not a dictionary");
        }
        var unknown = resource.EnumerateObject().Select(p => p.Name).Where(n => !allowed.Contains(n)).ToList();
        if (unknown.Count > 0)
        {
            throw NeutronErrors.BadRequestMessage($"Unrecognized attribute(s) '{string.Join(", ", unknown)}'");
        }
        return new RequestBody(resource);
    }

    public bool Has(string name) => Resource.TryGetProperty(name, out _);

    /// <summary>A string attribute; absent is null, JSON null is refused unless <paramref name="nullable"/>.</summary>
    public string? String(string name, bool nullable = false)
    {
        if (!Resource.TryGetProperty(name, out var value))
        {
            return null;
        }
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Null when nullable => null,
            _ => throw NeutronErrors.InvalidAttribute(name, $"{value.GetRawText()} is not a valid string"),
        };
    }

    public bool? Bool(string name)
    {
        if (!Resource.TryGetProperty(name, out var value))
        {
            return null;
        }
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String when bool.TryParse(value.GetString(), out var b) => b,
            JsonValueKind.Number when value.TryGetInt32(out var n) && n is 0 or 1 => n == 1,
            _ => throw NeutronErrors.InvalidAttribute(name, $"'{value.GetRawText()}' cannot be converted to boolean"),
        };
    }

    /// <summary>An integer attribute; absent and JSON null are null.</summary>
    public int? Int(string name)
    {
        if (!Resource.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n))
        {
            return n;
        }
        if (value.ValueKind == JsonValueKind.String
            && int.TryParse(value.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out n))
        {
            return n;
        }
        throw NeutronErrors.InvalidAttribute(name, $"'{value.GetRawText()}' is not an integer");
    }

    /// <summary>A UUID attribute; absent is null, JSON null only if <paramref name="nullable"/>.</summary>
    public Guid? Uuid(string name, bool nullable = false)
    {
        if (!Resource.TryGetProperty(name, out var value) || (nullable && value.ValueKind == JsonValueKind.Null))
        {
            return null;
        }
        return ParseUuid(name, value);
    }

    /// <summary>A list of UUIDs; JSON null is the empty list (as Neutron's <c>convert_none_to_empty_list</c>).</summary>
    public IReadOnlyList<Guid>? UuidList(string name)
    {
        if (!Resource.TryGetProperty(name, out var value))
        {
            return null;
        }
        return value.ValueKind switch
        {
            JsonValueKind.Null => [],
            JsonValueKind.Array => [.. value.EnumerateArray().Select(v => ParseUuid(name, v))],
            _ => throw NeutronErrors.InvalidAttribute(name, $"'{value.GetRawText()}' is not a list"),
        };
    }

    /// <summary>A list of objects, each checked against <paramref name="allowed"/>; JSON null is the empty list.</summary>
    public IReadOnlyList<RequestBody>? ObjectList(string name, IReadOnlySet<string> allowed)
    {
        if (!Resource.TryGetProperty(name, out var value))
        {
            return null;
        }
        return value.ValueKind switch
        {
            JsonValueKind.Null => [],
            JsonValueKind.Array => [.. value.EnumerateArray().Select(v => Checked(v, name, allowed))],
            _ => throw NeutronErrors.InvalidAttribute(name, $"'{value.GetRawText()}' is not a list"),
        };
    }

    /// <summary>A JSON object attribute checked against <paramref name="allowed"/>; JSON null is an empty object.</summary>
    public RequestBody? Object(string name, IReadOnlySet<string> allowed)
    {
        if (!Resource.TryGetProperty(name, out var value))
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.Null
            ? new RequestBody(JsonDocument.Parse("{}").RootElement)
            : Checked(value, name, allowed);
    }

    /// <summary>A rule's <c>protocol</c>: a name or a number (as a JSON number or string), or null for any.</summary>
    public string? Protocol()
    {
        if (!Resource.TryGetProperty("protocol", out var p))
        {
            return null;
        }
        return p.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => p.GetString(),
            JsonValueKind.Number => p.GetRawText(),
            _ => throw NeutronErrors.InvalidAttribute("protocol", $"{p.GetRawText()} is not a valid protocol"),
        };
    }

    /// <summary><c>project_id</c> or <c>tenant_id</c> (they must agree when both are given).</summary>
    public string? Project()
    {
        var project = String("project_id");
        var tenant = String("tenant_id");
        if (project is not null && tenant is not null && project != tenant)
        {
            throw NeutronErrors.InvalidAttribute("project_id", "project_id and tenant_id do not match");
        }
        return project ?? tenant;
    }

    private static Guid ParseUuid(string name, JsonElement value) =>
        value.ValueKind == JsonValueKind.String && Guid.TryParseExact(value.GetString(), "D", out var id)
            ? id
            : throw NeutronErrors.InvalidAttribute(name, $"'{(value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText())}' is not a valid UUID");
}
