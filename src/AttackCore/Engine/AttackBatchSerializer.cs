using System.Text.Json;
using AttackCore.Attacks;

namespace AttackCore.Engine;

/// <summary>
/// Saves and restores a whole <see cref="AttackBatch"/> (request, jobs with their finished attempts, the running
/// attack's index and time, and its state) as one binary blob, so a host can carry a batch across processes between
/// slices, also across the switch from one attack of a plan to the next.
/// </summary>
public static class AttackBatchSerializer
{
    private const uint Magic = 0x42514154; // "TAQB"
    private const int FormatVersion = 2;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Returns the bytes of <paramref name="batch"/>.</summary>
    /// <param name="batch">The batch.</param>
    /// <returns>The serialized batch.</returns>
    public static byte[] ToBytes(AttackBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var memory = new MemoryStream();
        using (var writer = new BinaryWriter(memory, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(JsonSerializer.Serialize(batch.Request, Json));
            writer.Write(JsonSerializer.Serialize(batch.Jobs, Json));
            writer.Write(batch.Stage);
            writer.Write(batch.AttackMs);
            writer.Write(batch.ImageAttackMs.Length);
            foreach (double ms in batch.ImageAttackMs)
            {
                writer.Write(ms);
            }

            writer.Write(batch.State is not null);
        }

        if (batch.State is not null)
        {
            AttackStateSerializer.Write(batch.State, memory);
        }

        return memory.ToArray();
    }

    /// <summary>Reads a batch written by <see cref="ToBytes"/>.</summary>
    /// <param name="data">The serialized batch.</param>
    /// <returns>The batch.</returns>
    /// <exception cref="InvalidDataException">The data is not a batch this version can read.</exception>
    public static AttackBatch FromBytes(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var memory = new MemoryStream(data, writable: false);
        try
        {
            using var reader = new BinaryReader(memory, System.Text.Encoding.UTF8, leaveOpen: true);
            if (reader.ReadUInt32() != Magic)
            {
                throw new InvalidDataException("This is not a saved attack batch.");
            }

            int version = reader.ReadInt32();
            if (version != FormatVersion)
            {
                throw new InvalidDataException($"The attack batch has format version {version}; this build reads version {FormatVersion}.");
            }

            AttackRequest request = JsonSerializer.Deserialize<AttackRequest>(reader.ReadString(), Json)
                ?? throw new InvalidDataException("The saved batch has no request.");
            ImageJob[] jobs = JsonSerializer.Deserialize<ImageJob[]>(reader.ReadString(), Json)
                ?? throw new InvalidDataException("The saved batch has no jobs.");
            int stage = reader.ReadInt32();
            double attackMs = reader.ReadDouble();
            int shares = reader.ReadInt32();
            if (shares is < 0 or > 1_000_000)
            {
                throw new InvalidDataException($"The saved attack batch names {shares} per-image times.");
            }

            var imageAttackMs = new double[shares];
            for (int i = 0; i < shares; i++)
            {
                imageAttackMs[i] = reader.ReadDouble();
            }

            AttackState? state = reader.ReadBoolean() ? AttackStateSerializer.Read(memory) : null;
            return new AttackBatch(request, jobs, state, stage) { AttackMs = attackMs, ImageAttackMs = imageAttackMs };
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("The saved attack batch is truncated.", ex);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The saved attack batch cannot be read by this build: {ex.Message}", ex);
        }
    }
}
