using AttackCore.Models;

namespace AttackCore.Imaging;

/// <summary>
/// The pixels an attack works on: three planes (RGB) for a colour model, one (gray) for a grayscale model, and how
/// a colour image becomes gray for the latter.
/// </summary>
/// <remarks>
/// Images in this space are planar CHW floats in [0, 1]; a gray image is a single plane of height x width values.
/// Everything measured on an attack image (eps, L2, L-inf) is measured in this space, so a gray model's L2 budget is
/// spent on the gray values it sees and not spread over three channels it averages.
/// </remarks>
public sealed record ChannelSpace
{
    private ChannelSpace(int channels, GrayConversion conversion)
    {
        Channels = channels;
        Conversion = conversion;
    }

    /// <summary>Gets the colour space: three planes, red, green, blue.</summary>
    public static ChannelSpace Rgb { get; } = new(3, GrayConversion.Bt601);

    /// <summary>Gets the number of planes: 3 or 1.</summary>
    public int Channels { get; }

    /// <summary>Gets how a colour image is turned gray (used only when <see cref="IsGray"/>).</summary>
    public GrayConversion Conversion { get; }

    /// <summary>Gets a value indicating whether this is the one-plane gray space.</summary>
    public bool IsGray => Channels == 1;

    /// <summary>The gray space with the given conversion of colour inputs.</summary>
    /// <param name="conversion">How a colour image becomes gray.</param>
    /// <returns>The space.</returns>
    public static ChannelSpace Gray(GrayConversion conversion = GrayConversion.Bt601)
    {
        if (!Enum.IsDefined(conversion))
        {
            throw new ArgumentOutOfRangeException(nameof(conversion), conversion, $"Must be one of {string.Join(", ", Enum.GetNames<GrayConversion>())}.");
        }

        return new ChannelSpace(1, conversion);
    }

    /// <summary>The space of <paramref name="channels"/> planes: 3 is RGB, 1 gray with <paramref name="conversion"/>.</summary>
    /// <param name="channels">1 or 3.</param>
    /// <param name="conversion">How a colour image becomes gray, for 1.</param>
    /// <returns>The space.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="channels"/> is neither 1 nor 3.</exception>
    public static ChannelSpace Of(int channels, GrayConversion conversion = GrayConversion.Bt601) => channels switch
    {
        3 => Rgb,
        1 => Gray(conversion),
        _ => throw new ArgumentOutOfRangeException(nameof(channels), channels, "An attack image has 1 (gray) or 3 (RGB) channels."),
    };

    /// <summary>The number of values of one image of this space.</summary>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <returns>channels x height x width.</returns>
    public int Length(int height, int width) => Channels * height * width;

    /// <summary>How many planes a CHW image of <paramref name="length"/> values has: 3 (RGB) or 1 (gray).</summary>
    /// <param name="length">The number of values.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="parameterName">The argument named in the exception.</param>
    /// <returns>3 or 1.</returns>
    /// <exception cref="ArgumentException">The length is neither 3 x height x width nor height x width.</exception>
    public static int ChannelsOf(int length, int height, int width, string parameterName)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        long plane = (long)height * width;
        if (length == 3 * plane)
        {
            return 3;
        }

        if (length == plane)
        {
            return 1;
        }

        throw new ArgumentException(
            $"Expected 3 x {height} x {width} = {3 * plane} values (RGB) or {height} x {width} = {plane} (gray), got {length}.", parameterName);
    }
}
