using System.Text.Json.Serialization;

namespace AttackCore.Reporting;

/// <summary>
/// Compile-time JSON metadata for the report types, so reports can be written and read where
/// reflection-based serialization is disabled (native AOT, trimmed hosts, file-based apps).
/// </summary>
/// <remarks>Used as the resolver of <see cref="ReportJson.Options"/>; the naming and null rules live there.</remarks>
[JsonSerializable(typeof(AttackReport))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
