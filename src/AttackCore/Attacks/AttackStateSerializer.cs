using System.Text.Json;

namespace AttackCore.Attacks;

/// <summary>
/// Saves and restores attack states of every attack in a compact binary form (a JSON header with the options,
/// whose <c>attack</c> discriminator names the attack, then raw little-endian arrays and each attack's own per-image
/// data), exactly: a restored state continues bit for bit like the one that was saved.
/// </summary>
/// <remarks>A 299 x 299 image takes about 2.1 MB (clean and best image as float32).</remarks>
public static class AttackStateSerializer
{
    private const uint Magic = 0x53514154; // "TAQS"
    private const int FormatVersion = 5;

    /// <summary>The oldest version read: version 3 had no gradient count (read as 0); versions before 5 hold RGB images only (3 channels).</summary>
    private const int OldestReadableVersion = 3;
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>Writes <paramref name="state"/> to <paramref name="stream"/>.</summary>
    /// <param name="state">The state to save.</param>
    /// <param name="stream">A writable stream; left open.</param>
    public static void Write(AttackState state, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(FormatVersion);
        writer.Write(state.Options.AttackName);
        writer.Write(JsonSerializer.Serialize(state.Options, JsonOptions));
        writer.Write(state.Height);
        writer.Write(state.Width);
        writer.Write(state.Channels);
        writer.Write(state.Images.Count);
        foreach (AttackImageState image in state.Images)
        {
            writer.Write(image.Goal.TrueClass);
            writer.Write(image.Goal.TargetClass ?? -1);
            WriteFloats(writer, image.Clean);
            WriteFloats(writer, image.Best);
            writer.Write(image.BestLoss);
            writer.Write(image.BestMargin);
            writer.Write(image.Queries);
            writer.Write(image.Iterations);
            writer.Write(image.GridChecks);
            writer.Write((int)image.Status);
            writer.Write(image.ContinuousSuccessQueries ?? -1);
            writer.Write(image.GradientEvaluations);
            foreach (ulong word in image.Random.GetState())
            {
                writer.Write(word);
            }

            writer.Write(image.Trace.Count);
            foreach (AttackTracePoint point in image.Trace)
            {
                writer.Write(point.Queries);
                writer.Write(point.Loss);
                writer.Write(point.Margin);
                writer.Write(point.TrueConfidence);
                writer.Write(point.WinningConfidence);
                writer.Write(point.WinningClass);
            }

            writer.Write(image.StopReason is not null);
            if (image.StopReason is not null)
            {
                writer.Write(image.StopReason);
            }

            image.WriteExtra(writer);
        }
    }

    /// <summary>Returns the bytes of <paramref name="state"/>.</summary>
    /// <param name="state">The state to save.</param>
    /// <returns>The serialized state.</returns>
    public static byte[] ToBytes(AttackState state)
    {
        using var memory = new MemoryStream();
        Write(state, memory);
        return memory.ToArray();
    }

    /// <summary>Reads a state written by <see cref="Write"/>.</summary>
    /// <param name="stream">A readable stream positioned at the state.</param>
    /// <returns>The restored state.</returns>
    /// <exception cref="InvalidDataException">The data is not a state this version can read.</exception>
    public static AttackState Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            if (reader.ReadUInt32() != Magic)
            {
                throw new InvalidDataException("This is not a saved attack state.");
            }

            int version = reader.ReadInt32();
            if (version < OldestReadableVersion || version > FormatVersion)
            {
                throw new InvalidDataException($"The attack state has format version {version}; this build reads versions {OldestReadableVersion} to {FormatVersion}.");
            }

            string attack = reader.ReadString();
            AttackOptions options = ReadOptions(attack, reader.ReadString());
            int height = reader.ReadInt32(), width = reader.ReadInt32();
            int channels = version >= 5 ? reader.ReadInt32() : 3;
            int count = reader.ReadInt32();
            if (height <= 0 || width <= 0 || count < 0 || (long)height * width > 100_000_000 || channels is not (1 or 3))
            {
                throw new InvalidDataException("The saved state has an impossible image size, channel count or image count.");
            }

            int length = channels * height * width;
            var images = new AttackImageState[count];
            for (int i = 0; i < count; i++)
            {
                int trueClass = reader.ReadInt32(), target = reader.ReadInt32();
                var goal = new AttackGoal(trueClass, target < 0 ? null : target);
                float[] clean = ReadFloats(reader, length), best = ReadFloats(reader, length);
                double bestLoss = reader.ReadDouble(), bestMargin = reader.ReadDouble();
                int queries = reader.ReadInt32(), iterations = reader.ReadInt32(), gridChecks = reader.ReadInt32(), status = reader.ReadInt32(), continuous = reader.ReadInt32();
                int gradients = version >= 4 ? reader.ReadInt32() : 0;
                ulong[] words = [reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64()];
                AttackImageState image = options.CreateImageState(goal, clean, best, SeededRandom.FromState(words));
                image.BestLoss = bestLoss;
                image.BestMargin = bestMargin;
                image.Queries = queries;
                image.Iterations = iterations;
                image.GridChecks = gridChecks;
                image.Status = (ImageAttackStatus)status;
                image.ContinuousSuccessQueries = continuous < 0 ? null : continuous;
                image.GradientEvaluations = gradients;
                int points = reader.ReadInt32();
                for (int k = 0; k < points; k++)
                {
                    image.Trace.Add(new AttackTracePoint(reader.ReadInt32(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadInt32()));
                }

                image.StopReason = reader.ReadBoolean() ? reader.ReadString() : null;
                image.ReadExtra(reader, length);

                images[i] = image;
            }

            return new AttackState(options, height, width, images, channels);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("The saved attack state is truncated.", ex);
        }
    }

    /// <summary>Reads a state from bytes written by <see cref="ToBytes"/>.</summary>
    /// <param name="data">The serialized state.</param>
    /// <returns>The restored state.</returns>
    public static AttackState FromBytes(byte[] data)
    {
        using var memory = new MemoryStream(data, writable: false);
        return Read(memory);
    }

    private static AttackOptions ReadOptions(string attack, string json)
    {
        AttackOptions? options;
        try
        {
            options = JsonSerializer.Deserialize<AttackOptions>(json, JsonOptions);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            throw new InvalidDataException($"The saved state's options for attack '{attack}' cannot be read by this build: {ex.Message}", ex);
        }

        if (options is null || options.AttackName != attack)
        {
            throw new InvalidDataException($"The saved state names attack '{attack}' but its options do not belong to it.");
        }

        return options;
    }

    /// <summary>Writes a float array with its length (for <see cref="AttackImageState.WriteExtra"/>).</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="values">The values.</param>
    public static void WriteFloats(BinaryWriter writer, float[] values)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(values);
        writer.Write(values.Length);
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
    }

    /// <summary>Reads a float array written by <see cref="WriteFloats"/>, checking its length.</summary>
    /// <param name="reader">The reader.</param>
    /// <param name="expected">The length the array must have.</param>
    /// <returns>The values.</returns>
    /// <exception cref="InvalidDataException">The saved length differs.</exception>
    public static float[] ReadFloats(BinaryReader reader, int expected)
    {
        ArgumentNullException.ThrowIfNull(reader);
        int length = reader.ReadInt32();
        if (length != expected)
        {
            throw new InvalidDataException($"The saved state holds an image of {length} values where {expected} were expected.");
        }

        var values = new float[length];
        Span<byte> bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan());
        reader.BaseStream.ReadExactly(bytes);
        return values;
    }
}
