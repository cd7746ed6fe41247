<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>CompressionPane</name>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Version</source>
        <translation>版本</translation>
    </message>
    <message>
        <source>Dataset</source>
        <translation>数据集</translation>
    </message>
    <message>
        <source>validation</source>
        <translation>验证集</translation>
    </message>
    <message>
        <source>test</source>
        <translation>测试集</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>a new version of this model</source>
        <translation>此模型的新版本</translation>
    </message>
    <message>
        <source>Store as</source>
        <translation>保存为</translation>
    </message>
    <message>
        <source>prompts separated by |</source>
        <translation>用 | 分隔的提示词</translation>
    </message>
    <message>
        <source>The prompts of the samples, separated by |; left empty, they are cut from the chosen split</source>
        <translation>样例所用的提示词，用 | 分隔；留空时从所选数据划分中截取</translation>
    </message>
    <message>
        <source>Prompts</source>
        <translation>提示词</translation>
    </message>
    <message>
        <source>Compress</source>
        <translation>压缩</translation>
    </message>
    <message>
        <source>Measure this version</source>
        <translation>评测此版本</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>导出 CSV…</translation>
    </message>
    <message>
        <source>Export HTML report…</source>
        <translation>导出 HTML 报告…</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清空</translation>
    </message>
    <message>
        <source>Columns</source>
        <translation>列</translation>
    </message>
    <message>
        <source>Which figures the table shows (also on a right-click on its header); every figure of a row is in its tooltip</source>
        <translation>表格显示哪些数字（也可右键单击表头选择）；一行的全部数字都在它的工具提示里</translation>
    </message>
    <message>
        <source>Report</source>
        <translation>报告</translation>
    </message>
    <message>
        <source>Size and perplexity</source>
        <translation>大小与困惑度</translation>
    </message>
    <message>
        <source>Speed</source>
        <translation>速度</translation>
    </message>
    <message>
        <source>Samples</source>
        <translation>样例</translation>
    </message>
    <message>
        <source>Earlier results</source>
        <translation>历史结果</translation>
    </message>
    <message>
        <source>no dataset (size and speed only)</source>
        <translation>无数据集（仅大小与速度）</translation>
    </message>
    <message>
        <source>No models yet. Train one or import one into the vault, then compress it here.</source>
        <translation>还没有模型。先训练一个或导入到保险库，再在这里压缩。</translation>
    </message>
    <message>
        <source>v{number}: {label}</source>
        <translation>v{number}：{label}</translation>
    </message>
    <message>
        <source>The work failed: {error}</source>
        <translation>任务失败：{error}</translation>
    </message>
    <message>
        <source>Cancelled; nothing was stored.</source>
        <translation>已取消，未保存任何内容。</translation>
    </message>
    <message>
        <source>Stored {model} v{version}</source>
        <translation>已保存 {model} v{version}</translation>
    </message>
    <message>
        <source>Stored as {model} v{version}.</source>
        <translation>已保存为 {model} v{version}。</translation>
    </message>
    <message>
        <source>{what} of {model} v{version}, {date}</source>
        <translation>{model} v{version} 的 {what}，{date}</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>HTML files (*.html)</source>
        <translation>HTML 文件 (*.html)</translation>
    </message>
    <message>
        <source>Export the report</source>
        <translation>导出报告</translation>
    </message>
    <message>
        <source>Could not write {path}: {error}</source>
        <translation>无法写入 {path}：{error}</translation>
    </message>
    <message>
        <source>Wrote {path}</source>
        <translation>已写入 {path}</translation>
    </message>
</context>
<context>
    <name>HistoryTable</name>
    <message>
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>What</source>
        <translation>内容</translation>
    </message>
    <message>
        <source>From</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>The version compressed</source>
        <translation>被压缩的版本</translation>
    </message>
    <message>
        <source>To</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>The version stored</source>
        <translation>存储的版本</translation>
    </message>
    <message>
        <source>Size ×</source>
        <translation>大小 ×</translation>
    </message>
    <message>
        <source>File size against the original</source>
        <translation>文件大小相对原模型</translation>
    </message>
    <message>
        <source>ΔPPL %</source>
        <translation>Δ困惑度 %</translation>
    </message>
    <message>
        <source>Perplexity change against the original, percent</source>
        <translation>困惑度相对原模型的变化，百分比</translation>
    </message>
    <message>
        <source>Dataset</source>
        <translation>数据集</translation>
    </message>
    <message>
        <source>By</source>
        <translation>操作者</translation>
    </message>
    <message>
        <source>The dataset and split measured on</source>
        <translation>评测所用的数据集和划分</translation>
    </message>
    <message>
        <source>ppl {value}</source>
        <translation>困惑度 {value}</translation>
    </message>
    <message>
        <source>evaluation of {label}</source>
        <translation>{label} 的评测</translation>
    </message>
</context>
<context>
    <name>RecipeForm</name>
    <message>
        <source>Pruning</source>
        <translation>剪枝</translation>
    </message>
    <message>
        <source>Share of the weights to zero, or of the heads and neurons to remove</source>
        <translation>要置零的权重比例，或要移除的注意力头和神经元比例</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Whole heads and neurons</source>
        <translation>整个注意力头和神经元</translation>
    </message>
    <message>
        <source>Remove whole attention heads and MLP neurons: the tensors shrink, so the file is smaller and the model faster</source>
        <translation>移除整个注意力头和 MLP 神经元：张量真正变小，文件更小，模型更快</translation>
    </message>
    <message>
        <source>in every matrix</source>
        <translation>每个矩阵内</translation>
    </message>
    <message>
        <source>across all layers</source>
        <translation>跨所有层</translation>
    </message>
    <message>
        <source>Smallest weights</source>
        <translation>最小的权重</translation>
    </message>
    <message>
        <source>Magnitude</source>
        <translation>幅值</translation>
    </message>
    <message>
        <source>Wanda</source>
        <translation>Wanda</translation>
    </message>
    <message>
        <source>SparseGPT</source>
        <translation>SparseGPT</translation>
    </message>
    <message>
        <source>ADMM</source>
        <translation>ADMM</translation>
    </message>
    <message>
        <source>Method</source>
        <translation>方法</translation>
    </message>
    <message>
        <source>any weights (unstructured)</source>
        <translation>任意权重（非结构化）</translation>
    </message>
    <message>
        <source>2 of every 4 (2:4)</source>
        <translation>每 4 个保留 2 个（2:4）</translation>
    </message>
    <message>
        <source>4 of every 8 (4:8)</source>
        <translation>每 8 个保留 4 个（4:8）</translation>
    </message>
    <message>
        <source>Pattern</source>
        <translation>模式</translation>
    </message>
    <message>
        <source>Fine-tune this many steps on the dataset&apos;s training split after pruning</source>
        <translation>剪枝后在数据集的训练划分上微调这么多步</translation>
    </message>
    <message>
        <source>Recovery steps</source>
        <translation>恢复微调步数</translation>
    </message>
    <message>
        <source>Quantization</source>
        <translation>量化</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>int8 (per output channel)</source>
        <translation>int8（按输出通道）</translation>
    </message>
    <message>
        <source>int4 (groups, two per byte)</source>
        <translation>int4（分组，每字节两个）</translation>
    </message>
    <message>
        <source>dynamic int8 (PyTorch)</source>
        <translation>动态 int8（PyTorch）</translation>
    </message>
    <message>
        <source>Weights</source>
        <translation>权重</translation>
    </message>
    <message>
        <source>int4 group size</source>
        <translation>int4 分组大小</translation>
    </message>
    <message>
        <source>Round to nearest (RTN)</source>
        <translation>就近取整（RTN）</translation>
    </message>
    <message>
        <source>GPTQ</source>
        <translation>GPTQ</translation>
    </message>
    <message>
        <source>AWQ</source>
        <translation>AWQ</translation>
    </message>
    <message>
        <source>Act-order</source>
        <translation>按激活排序</translation>
    </message>
    <message>
        <source>GPTQ: quantize the columns with the largest inputs first</source>
        <translation>GPTQ：先量化输入最大的列</translation>
    </message>
    <message>
        <source>Embeddings in float</source>
        <translation>嵌入层保持浮点</translation>
    </message>
    <message>
        <source>Keep the token and position embeddings in float32 (a larger file)</source>
        <translation>词元和位置嵌入保持 float32（文件更大）</translation>
    </message>
    <message>
        <source>Calibration</source>
        <translation>校准</translation>
    </message>
    <message>
        <source>Windows of text the calibrated methods learn from</source>
        <translation>需要校准的方法所学习的文本窗口数</translation>
    </message>
    <message>
        <source>Samples</source>
        <translation>样本数</translation>
    </message>
    <message>
        <source>the model&apos;s context</source>
        <translation>模型的上下文长度</translation>
    </message>
    <message>
        <source>Tokens per window (at most 512 when left at the model&apos;s context)</source>
        <translation>每个窗口的词元数（保持为模型上下文长度时最多 512）</translation>
    </message>
    <message>
        <source>Length</source>
        <translation>长度</translation>
    </message>
    <message>
        <source>Split</source>
        <translation>划分</translation>
    </message>
    <message>
        <source>From the dataset chosen above; keep it apart from the evaluated split.</source>
        <translation>取自上面选择的数据集；请不要与评估所用的划分相同。</translation>
    </message>
    <message>
        <source>Remove {pct}% of the attention heads and MLP neurons of every layer</source>
        <translation>移除每层 {pct}% 的注意力头和 MLP 神经元</translation>
    </message>
    <message>
        <source>Keep {n} of every {m} weights in every weight matrix by {method}</source>
        <translation>用 {method} 在每个权重矩阵中每 {m} 个权重保留 {n} 个</translation>
    </message>
    <message>
        <source>Prune {pct}% of every weight matrix by {method}</source>
        <translation>用 {method} 剪掉每个权重矩阵的 {pct}%</translation>
    </message>
    <message>
        <source>Zero the {pct}% smallest weights across all layers</source>
        <translation>将所有层中最小的 {pct}% 权重置零</translation>
    </message>
    <message>
        <source>Zero the {pct}% smallest weights in every weight matrix</source>
        <translation>将每个权重矩阵中最小的 {pct}% 权重置零</translation>
    </message>
    <message>
        <source>Fine-tune {n} steps to recover</source>
        <translation>微调 {n} 步以恢复</translation>
    </message>
    <message>
        <source>Quantize weights to int8 (per output channel, symmetric)</source>
        <translation>将权重量化为 int8（按输出通道，对称）</translation>
    </message>
    <message>
        <source>Quantize weights to int4 (groups of {g}, two per byte)</source>
        <translation>将权重量化为 int4（每组 {g} 个，每字节两个）</translation>
    </message>
    <message>
        <source>Quantize Linear layers with PyTorch&apos;s dynamic int8 quantization</source>
        <translation>用 PyTorch 的动态 int8 量化线性层</translation>
    </message>
    <message>
        <source> by {method}</source>
        <translation>（使用 {method}）</translation>
    </message>
    <message>
        <source>Zeroes the smallest weights. No data needed; the baseline.</source>
        <translation>把最小的权重置零。无需数据；作为基线。</translation>
    </message>
    <message>
        <source>Weighs each weight by how large its input is (per output row); needs calibration data, costs a few seconds.</source>
        <translation>按输入的大小为每个权重加权（逐输出行）；需要校准数据，耗时几秒。</translation>
    </message>
    <message>
        <source>Prunes and updates the remaining weights to make up for the removed ones; needs calibration data. Far ahead of magnitude, above all at 2:4.</source>
        <translation>剪枝并更新剩余权重以弥补被移除的权重；需要校准数据。远胜幅值剪枝，2:4 时尤其如此。</translation>
    </message>
    <message>
        <source>Prunes and solves for the best remaining weights of every layer; needs calibration data. The most accurate, at 50% and at 2:4.</source>
        <translation>剪枝并为每一层求解最优的剩余权重；需要校准数据。精度最高，50% 和 2:4 皆然。</translation>
    </message>
    <message>
        <source>Rounds every weight to the nearest step. No data needed; fine for int8.</source>
        <translation>把每个权重取整到最近的量化级。无需数据；int8 足够好。</translation>
    </message>
    <message>
        <source>Rounds column by column and corrects the rest for the error; needs calibration data. The best int4.</source>
        <translation>逐列取整并用其余权重校正误差；需要校准数据。int4 效果最好。</translation>
    </message>
    <message>
        <source>Scales up the input channels that matter before rounding; needs calibration data.</source>
        <translation>取整前放大重要的输入通道；需要校准数据。</translation>
    </message>
</context>
<context>
    <name>ReportTable</name>
    <message>
        <source>Variant</source>
        <translation>变体</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>参数</translation>
    </message>
    <message>
        <source>Non-zeros</source>
        <translation>非零</translation>
    </message>
    <message>
        <source>Perplexity</source>
        <translation>困惑度</translation>
    </message>
    <message>
        <source>Tok/s b1</source>
        <translation>词元/秒 b1</translation>
    </message>
    <message>
        <source>Tok/s b8</source>
        <translation>词元/秒 b8</translation>
    </message>
    <message>
        <source>Kernel</source>
        <translation>内核</translation>
    </message>
    <message>
        <source>Size of the safetensors file</source>
        <translation>safetensors 文件的大小</translation>
    </message>
    <message>
        <source>File size against the first row</source>
        <translation>文件大小相对第一行</translation>
    </message>
    <message>
        <source>Weights (a quantized weight counts as one)</source>
        <translation>权重数（量化后的权重按一个计）</translation>
    </message>
    <message>
        <source>Weights that are not zero</source>
        <translation>非零权重数</translation>
    </message>
    <message>
        <source>Perplexity on the chosen split (lower is better)</source>
        <translation>所选划分上的困惑度（越低越好）</translation>
    </message>
    <message>
        <source>What was done to the model: pruning method and share, quantization format and bits</source>
        <translation>对模型做了什么：剪枝方法与比例、量化格式与位数</translation>
    </message>
    <message>
        <source>Sparse %</source>
        <translation>稀疏 %</translation>
    </message>
    <message>
        <source>Sparsity (%)</source>
        <translation>稀疏度（%）</translation>
    </message>
    <message>
        <source>Share of the original&apos;s weights that are zero or removed; the embeddings are not pruned, so it stays below the recipe&apos;s share</source>
        <translation>原模型权重中为零或被移除的比例；嵌入不剪枝，所以低于配方的比例</translation>
    </message>
    <message>
        <source>Bits/w</source>
        <translation>位/权重</translation>
    </message>
    <message>
        <source>Bits per weight</source>
        <translation>每权重位数</translation>
    </message>
    <message>
        <source>File size in bits over the number of weights, scales and float tensors included</source>
        <translation>文件大小（位）除以权重数，含缩放因子和浮点张量</translation>
    </message>
    <message>
        <source>Size ({unit})</source>
        <translation>大小 ({unit})</translation>
    </message>
    <message>
        <source>File size ({unit})</source>
        <translation>文件大小（{unit}）</translation>
    </message>
    <message>
        <source>Size ×</source>
        <translation>大小 ×</translation>
    </message>
    <message>
        <source>Size against the original (×)</source>
        <translation>大小相对原模型（×）</translation>
    </message>
    <message>
        <source>PPL</source>
        <translation>困惑度</translation>
    </message>
    <message>
        <source>ΔPPL %</source>
        <translation>Δ困惑度 %</translation>
    </message>
    <message>
        <source>Perplexity change (%)</source>
        <translation>困惑度变化（%）</translation>
    </message>
    <message>
        <source>Perplexity change against the first row</source>
        <translation>困惑度相对第一行的变化</translation>
    </message>
    <message>
        <source>Speed ×</source>
        <translation>速度 ×</translation>
    </message>
    <message>
        <source>Speed at batch 1 (×)</source>
        <translation>批大小 1 的速度（×）</translation>
    </message>
    <message>
        <source>Batch-1 throughput against the original timed together with it, ± its spread over the rounds</source>
        <translation>批大小 1 吞吐量相对与其一同计时的原模型，± 各轮之间的离散</translation>
    </message>
    <message>
        <source>Took (s)</source>
        <translation>用时 (秒)</translation>
    </message>
    <message>
        <source>Compression time (s)</source>
        <translation>压缩用时（秒）</translation>
    </message>
    <message>
        <source>How long the compression took, seconds</source>
        <translation>压缩花了多长时间，单位秒</translation>
    </message>
    <message>
        <source>KL (nat)</source>
        <translation>KL (nat)</translation>
    </message>
    <message>
        <source>KL divergence (nats)</source>
        <translation>KL 散度（nat）</translation>
    </message>
    <message>
        <source>Mean KL divergence of the next-token distribution from the original&apos;s, nats (0 = the same)</source>
        <translation>下一个词元分布相对原模型的平均 KL 散度，单位 nat（0 表示相同）</translation>
    </message>
    <message>
        <source>Top-1 %</source>
        <translation>Top-1 %</translation>
    </message>
    <message>
        <source>Top-1 agreement (%)</source>
        <translation>Top-1 一致率（%）</translation>
    </message>
    <message>
        <source>Share of positions where the original and this predict the same next token</source>
        <translation>原模型与此模型预测相同下一个词元的位置比例</translation>
    </message>
    <message>
        <source>Params</source>
        <translation>参数</translation>
    </message>
    <message>
        <source>Non-zero weights</source>
        <translation>非零权重数</translation>
    </message>
    <message>
        <source>Tokens per second at batch 1</source>
        <translation>批大小 1 时每秒词元数</translation>
    </message>
    <message>
        <source>Forward throughput at batch 1, tokens per second</source>
        <translation>批大小 1 时的前向吞吐量（词元/秒）</translation>
    </message>
    <message>
        <source>Tokens per second at batch 8</source>
        <translation>批大小 8 时每秒词元数</translation>
    </message>
    <message>
        <source>Forward throughput at batch 8, tokens per second</source>
        <translation>批大小 8 时的前向吞吐量（词元/秒）</translation>
    </message>
    <message>
        <source>Speed b8 ×</source>
        <translation>速度 b8 ×</translation>
    </message>
    <message>
        <source>Speed at batch 8 (×)</source>
        <translation>批大小 8 的速度（×）</translation>
    </message>
    <message>
        <source>Batch-8 throughput against the original timed together with it, ± its spread over the rounds</source>
        <translation>批大小 8 吞吐量相对与其一同计时的原模型，± 各轮之间的离散</translation>
    </message>
    <message>
        <source>ms/tok</source>
        <translation>毫秒/词元</translation>
    </message>
    <message>
        <source>Generation latency (ms per token)</source>
        <translation>生成延迟（毫秒/词元）</translation>
    </message>
    <message>
        <source>Calibration</source>
        <translation>校准</translation>
    </message>
    <message>
        <source>Calibration data</source>
        <translation>校准数据</translation>
    </message>
    <message>
        <source>The data the calibrated methods learnt from: dataset/split, windows x tokens</source>
        <translation>需要校准的方法所用的数据：数据集/划分，窗口数 x 词元数</translation>
    </message>
    <message>
        <source>Generation latency with the KV cache, milliseconds per new token</source>
        <translation>使用 KV 缓存的生成延迟，每个新词元的毫秒数</translation>
    </message>
    <message>
        <source>Gen ×</source>
        <translation>生成 ×</translation>
    </message>
    <message>
        <source>Generation speed-up (×)</source>
        <translation>生成加速（×）</translation>
    </message>
    <message>
        <source>Generation latency of the original over this one&apos;s, timed together, ± its spread</source>
        <translation>原模型的生成延迟除以此模型的（一同计时），± 其离散</translation>
    </message>
    <message>
        <source>Rounds</source>
        <translation>轮数</translation>
    </message>
    <message>
        <source>Speed rounds</source>
        <translation>测速轮数</translation>
    </message>
    <message>
        <source>How many paired rounds the speed figures come from</source>
        <translation>速度数字来自多少轮成对计时</translation>
    </message>
    <message>
        <source>How the quantized layers ran</source>
        <translation>量化层的运行方式</translation>
    </message>
</context>
<context>
    <name>SizePerplexityChart</name>
    <message>
        <source>file size (MB)</source>
        <translation>文件大小 (MB)</translation>
    </message>
    <message>
        <source>perplexity</source>
        <translation>困惑度</translation>
    </message>
</context>
<context>
    <name>SpeedChart</name>
    <message>
        <source>speed against the original (x)</source>
        <translation>相对原始模型的速度（倍）</translation>
    </message>
    <message>
        <source>batch 1</source>
        <translation>批大小 1</translation>
    </message>
    <message>
        <source>batch 8</source>
        <translation>批大小 8</translation>
    </message>
    <message>
        <source>generation</source>
        <translation>生成</translation>
    </message>
</context>
</TS>
