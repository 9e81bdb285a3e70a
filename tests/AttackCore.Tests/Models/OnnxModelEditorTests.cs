using AttackCore.Models;
using AttackCore.Tests.TestSupport;

namespace AttackCore.Tests.Models;

public class OnnxModelEditorTests
{
    private static readonly float[,] Weights = new float[12, 2];

    [Fact]
    public void ReadInputs_FixedModel_ReturnsNameAndDims()
    {
        var model = TinyOnnx.MatMul(1, Weights);

        var inputs = OnnxModelEditor.ReadInputs(model);

        var input = Assert.Single(inputs);
        Assert.Equal("input", input.Name);
        Assert.Equal([1L, 3L, 2L, 2L], input.Dims.Select(d => d.Value!.Value));
    }

    [Fact]
    public void MakeBatchDimensionSymbolic_FixedBatch_RewritesInputsAndOutputs()
    {
        var model = TinyOnnx.MatMul(1, Weights, withValueInfo: true);

        var sut = OnnxModelEditor.MakeBatchDimensionSymbolic(model);

        var input = Assert.Single(OnnxModelEditor.ReadInputs(sut));
        Assert.Equal(new OnnxDimension(null, "batch"), input.Dims[0]);
        Assert.Equal([3L, 2L, 2L], input.Dims.Skip(1).Select(d => d.Value!.Value));
        var output = Assert.Single(OnnxModelEditor.ReadOutputs(sut));
        Assert.Equal("batch", output.Dims[0].Param);
        Assert.Equal(2L, output.Dims[1].Value);
    }

    [Fact]
    public void MakeBatchDimensionSymbolic_ValueInfo_IsDropped()
    {
        var model = TinyOnnx.MatMul(1, Weights, withValueInfo: true);
        var withoutValueInfo = TinyOnnx.MatMul(1, Weights, withValueInfo: false);

        var sut = OnnxModelEditor.MakeBatchDimensionSymbolic(model);

        Assert.Equal(OnnxModelEditor.MakeBatchDimensionSymbolic(withoutValueInfo), sut);
    }

    [Fact]
    public void MakeBatchDimensionSymbolic_SymbolicBatch_ReturnsSameInstance()
    {
        var model = TinyOnnx.MatMul(null, Weights);

        var sut = OnnxModelEditor.MakeBatchDimensionSymbolic(model);

        Assert.Same(model, sut);
    }

    [Fact]
    public void MakeBatchDimensionSymbolic_UnknownFieldsAndWeights_CopiedByteExactly()
    {
        var weights = new float[12, 2];
        for (int i = 0; i < 12; i++)
        {
            weights[i, 0] = i * 0.37f;
            weights[i, 1] = -i;
        }

        var model = TinyOnnx.MatMul(1, weights, withUnknownField: true);
        var symbolic = TinyOnnx.MatMul(null, weights, withUnknownField: true);

        var sut = OnnxModelEditor.MakeBatchDimensionSymbolic(model);

        // The only difference from a model written with a symbolic batch is the dim_param's text.
        Assert.Equal(symbolic.Length + (("batch".Length - "N".Length) * 2), sut.Length);
        Assert.True(ContainsSequence(sut, [0x98, 0x06, 0x92, 0x21]), "unknown field 99 = 4242 must survive");
    }

    [Fact]
    public void MakeBatchDimensionSymbolic_BatchOtherThanOne_Untouched()
    {
        var model = TinyOnnx.MatMul(4, Weights);

        Assert.Same(model, OnnxModelEditor.MakeBatchDimensionSymbolic(model));
    }

    private static bool ContainsSequence(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle))
            {
                return true;
            }
        }

        return false;
    }
}
