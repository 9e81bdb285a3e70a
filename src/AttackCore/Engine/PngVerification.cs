using AttackCore.Imaging;
using AttackCore.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Engine;

/// <summary>
/// The proof of a success: each image is written as an 8-bit PNG, read back, preprocessed as any input would be and
/// classified again, all in one batched call. The PNG bytes are kept, so the file written is the file verified.
/// </summary>
internal static class PngVerification
{
    /// <summary>Verifies <paramref name="images"/> (CHW in [0,1], all of the state's size; one gray plane each for a gray model, written as 8-bit grayscale PNG).</summary>
    /// <param name="classifier">The model with its scores.</param>
    /// <param name="images">The images to write and check.</param>
    /// <param name="height">Image height.</param>
    /// <param name="width">Image width.</param>
    /// <returns>Per image its PNG file, and the scores of the re-read images (one row per image, in order).</returns>
    public static (byte[][] Pngs, float[] Logits) Verify(IClassifier classifier, IReadOnlyList<float[]> images, int height, int width)
    {
        var pngs = new byte[images.Count][];
        var reread = new List<float[]>(images.Count);
        for (int i = 0; i < images.Count; i++)
        {
            pngs[i] = PngCodec.EncodeChw(images[i], height, width);
            using Image<Rgb24> decoded = PngCodec.Decode(pngs[i]);
            // The PNG has the model's input size, which every crop rule passes through unchanged.
            using Image<Rgb24> crop = ImagePreprocessor.Preprocess(decoded, CropRecipe.ShortSide(height, height));
            // A gray PNG decodes to R = G = B, which every gray conversion maps back to the same value.
            var tensor = new float[images[i].Length];
            TensorImage.WriteChw(crop, tensor);
            reread.Add(tensor);
        }

        return (pngs, Classify(classifier, reread));
    }

    /// <summary>Scores images in one call (an empty list gives an empty result).</summary>
    /// <param name="classifier">The model.</param>
    /// <param name="images">CHW images of the model's size.</param>
    /// <returns>One row of scores per image.</returns>
    public static float[] Classify(IClassifier classifier, IReadOnlyList<float[]> images)
    {
        int length = classifier.Channels * classifier.InputHeight * classifier.InputWidth;
        var input = new float[images.Count * length];
        for (int i = 0; i < images.Count; i++)
        {
            images[i].CopyTo(input, i * length);
        }

        var logits = new float[images.Count * classifier.NumClasses];
        if (images.Count > 0)
        {
            classifier.Predict(input, images.Count, logits);
        }

        return logits;
    }
}
