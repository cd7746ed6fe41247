<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AuditView</name>
    <message>
        <source>Time (UTC)</source>
        <translation>时间 (UTC)</translation>
    </message>
    <message>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>详情</translation>
    </message>
</context>
<context>
    <name>ChartBoard</name>
    <message>
        <source>Log scale</source>
        <translation>对数刻度</translation>
    </message>
    <message>
        <source>Exponential moving average; the raw points stay faint behind.</source>
        <translation>指数移动平均；原始数据点以淡色显示在后面。</translation>
    </message>
    <message>
        <source>Reset view</source>
        <translation>重置视图</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>Chart as PNG…</source>
        <translation>图表导出为 PNG…</translation>
    </message>
    <message>
        <source>Chart as SVG…</source>
        <translation>图表导出为 SVG…</translation>
    </message>
    <message>
        <source>Data as CSV…</source>
        <translation>数据导出为 CSV…</translation>
    </message>
    <message>
        <source>Charts</source>
        <translation>图表</translation>
    </message>
    <message>
        <source>Which charts to show under the loss</source>
        <translation>在损失图下方显示哪些图表</translation>
    </message>
    <message>
        <source>X axis</source>
        <translation>X 轴</translation>
    </message>
    <message>
        <source>Smoothing</source>
        <translation>平滑</translation>
    </message>
    <message>
        <source>Select a run to see its curves (Ctrl+click several to compare them).</source>
        <translation>选择一个运行以查看其曲线（按住 Ctrl 点击多个以进行比较）。</translation>
    </message>
    <message>
        <source>No points yet: the curves appear with the run&apos;s first step.</source>
        <translation>还没有数据点：曲线会在运行的第一步之后出现。</translation>
    </message>
    <message>
        <source>Reading the points…</source>
        <translation>正在读取数据点…</translation>
    </message>
    <message>
        <source>Select a run to see its curves.</source>
        <translation>选择一个运行以查看其曲线。</translation>
    </message>
    <message>
        <source>Hover over a chart to read exact values. Drag to pan, scroll to zoom.</source>
        <translation>将鼠标悬停在图表上可读取精确数值。拖动可平移，滚轮可缩放。</translation>
    </message>
</context>
<context>
    <name>Charts</name>
    <message>
        <source>Loss</source>
        <translation>损失</translation>
    </message>
    <message>
        <source>train loss</source>
        <translation>训练损失</translation>
    </message>
    <message>
        <source>validation loss</source>
        <translation>验证损失</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>学习率</translation>
    </message>
    <message>
        <source>learning rate</source>
        <translation>学习率</translation>
    </message>
    <message>
        <source>Gradient norm</source>
        <translation>梯度范数</translation>
    </message>
    <message>
        <source>gradient norm</source>
        <translation>梯度范数</translation>
    </message>
    <message>
        <source>Tokens/s</source>
        <translation>词元/秒</translation>
    </message>
    <message>
        <source>tokens/s</source>
        <translation>词元/秒</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>Tokens seen</source>
        <translation>已见词元数</translation>
    </message>
    <message>
        <source>Wall time (s)</source>
        <translation>实际用时 (秒)</translation>
    </message>
    <message>
        <source>(smoothed {value})</source>
        <translation>(平滑后 {value})</translation>
    </message>
    <message>
        <source>at step {step}</source>
        <translation>于第 {step} 步</translation>
    </message>
    <message>
        <source>step {step}</source>
        <translation>第 {step} 步</translation>
    </message>
    <message>
        <source>{tokens} tokens</source>
        <translation>{tokens} 个词元</translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <source>System prompt (optional): how the assistant should answer</source>
        <translation>系统提示（可选）：助手应如何回答</translation>
    </message>
    <message>
        <source>Your message (Ctrl+Enter sends it)</source>
        <translation>你的消息（Ctrl+Enter 发送）</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>New conversation</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>What the model reads (its chat template)</source>
        <translation>模型读到的内容（其对话模板）</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>系统提示</translation>
    </message>
    <message>
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <source>Assistant</source>
        <translation>助手</translation>
    </message>
    <message>
        <source>System</source>
        <translation>系统</translation>
    </message>
    <message>
        <source>Write a message below. The conversation is rendered with the model&apos;s own chat template; each reply ends where the model ends its turn.</source>
        <translation>在下方写一条消息。对话按模型自己的对话模板渲染；每条回复在模型结束其轮次时结束。</translation>
    </message>
    <message>
        <source>The model is answering…</source>
        <translation>模型正在回答…</translation>
    </message>
    <message>
        <source>Stopped: the reply keeps what it had.</source>
        <translation>已停止：回复保留已生成的部分。</translation>
    </message>
    <message>
        <source>Done.</source>
        <translation>完成。</translation>
    </message>
    <message>
        <source>{n} tokens</source>
        <translation>{n} 个词元</translation>
    </message>
    <message>
        <source>{rate:.1f} tokens/s</source>
        <translation>{rate:.1f} 词元/秒</translation>
    </message>
    <message>
        <source>No reply: {error}</source>
        <translation>没有回复：{error}</translation>
    </message>
    <message>
        <source>The conversation is longer than the model&apos;s context: its {n} oldest turn(s) are left out of what it reads.</source>
        <translation>对话超出了模型的上下文：最早的 {n} 轮不会被模型读到。</translation>
    </message>
</context>
<context>
    <name>CheckpointsView</name>
    <message>
        <source>Checkpoint</source>
        <translation>检查点</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>Val loss</source>
        <translation>验证损失</translation>
    </message>
    <message>
        <source>Train loss</source>
        <translation>训练损失</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Written (UTC)</source>
        <translation>写入时间 (UTC)</translation>
    </message>
    <message>
        <source>Generate from it</source>
        <translation>用它生成</translation>
    </message>
    <message>
        <source>Resume from it</source>
        <translation>从它继续</translation>
    </message>
    <message>
        <source>Fine-tune from it…</source>
        <translation>从它微调…</translation>
    </message>
    <message>
        <source>Export weights…</source>
        <translation>导出权重…</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <source>Checkpoints are versions of the run&apos;s model in the vault (named after the run): they can also be exported, compressed and shared from the Vault pane.</source>
        <translation>检查点是保险库中该运行模型（以运行命名）的版本：也可以在“保险库”面板中导出、压缩和共享。</translation>
    </message>
    <message>
        <source>best</source>
        <translation>最佳</translation>
    </message>
    <message>
        <source>latest ({slot})</source>
        <translation>最新 ({slot})</translation>
    </message>
</context>
<context>
    <name>CompareView</name>
    <message>
        <source>dataset</source>
        <translation>数据集</translation>
    </message>
    <message>
        <source>source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>parameters</source>
        <translation>参数量</translation>
    </message>
    <message>
        <source>group</source>
        <translation>分组</translation>
    </message>
    <message>
        <source>tags</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>steps done</source>
        <translation>已完成步数</translation>
    </message>
    <message>
        <source>best val loss</source>
        <translation>最佳验证损失</translation>
    </message>
    <message>
        <source>Only settings that differ</source>
        <translation>只显示不同的设置</translation>
    </message>
    <message>
        <source>Select two or more runs in the table (Ctrl+click) to compare them.</source>
        <translation>在表格中选择两个或更多运行（Ctrl+单击）以进行比较。</translation>
    </message>
</context>
<context>
    <name>FineTuneBox</name>
    <message>
        <source>Fine-tune a vault model</source>
        <translation>微调保险库中的模型</translation>
    </message>
    <message>
        <source>Full: every weight trains</source>
        <translation>全量：训练所有权重</translation>
    </message>
    <message>
        <source>LoRA: small adapters on the frozen model</source>
        <translation>LoRA：在冻结的模型上训练小型适配器</translation>
    </message>
    <message>
        <source>Method</source>
        <translation>方式</translation>
    </message>
    <message>
        <source>default: {names}</source>
        <translation>默认：{names}</translation>
    </message>
    <message>
        <source>Layers of this model LoRA can adapt: {names}</source>
        <translation>此模型中 LoRA 可适配的层：{names}</translation>
    </message>
    <message>
        <source>LoRA trains small low-rank adapters and keeps the model frozen: far less memory for gradients and optimizer state. The result is a small adapter version under the model in the Vault; merge it there into a full model.</source>
        <translation>LoRA 训练小型低秩适配器并冻结模型：梯度和优化器状态所需内存少得多。结果是保险库中该模型下的一个小型适配器版本；可在那里将其合并为完整模型。</translation>
    </message>
    <message>
        <source>Every weight of the model trains; each checkpoint is a full copy of the model.</source>
        <translation>训练模型的所有权重；每个检查点都是模型的完整副本。</translation>
    </message>
</context>
<context>
    <name>GenerateView</name>
    <message>
        <source>Prompt (may be empty)</source>
        <translation>提示词（可以为空）</translation>
    </message>
    <message>
        <source>Raw: continue a prompt</source>
        <translation>原始：续写提示</translation>
    </message>
    <message>
        <source>Chat: turns in the model&apos;s chat template</source>
        <translation>对话：按模型的对话模板进行多轮对话</translation>
    </message>
    <message>
        <source>Generate</source>
        <translation>生成</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>From</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>Prompt</source>
        <translation>提示词</translation>
    </message>
    <message>
        <source>Tokens/s</source>
        <translation>词元/秒</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>文本</translation>
    </message>
    <message>
        <source>The prompt</source>
        <translation>提示词</translation>
    </message>
    <message>
        <source>{n} tokens</source>
        <translation>{n} 个词元</translation>
    </message>
    <message>
        <source>{rate} tokens/s</source>
        <translation>{rate} 词元/秒</translation>
    </message>
    <message>
        <source>first token after {t}</source>
        <translation>首个词元用时 {t}</translation>
    </message>
    <message>
        <source>Generating…</source>
        <translation>正在生成…</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>已停止。</translation>
    </message>
    <message>
        <source>Done.</source>
        <translation>完成。</translation>
    </message>
    <message>
        <source>Generation failed: {error}</source>
        <translation>生成失败：{error}</translation>
    </message>
</context>
<context>
    <name>KeyValueTree</name>
    <message>
        <source>Setting</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>值</translation>
    </message>
</context>
<context>
    <name>LogView</name>
    <message>
        <source>The run&apos;s output appears here as the worker writes it.</source>
        <translation>运行的输出会在工作进程写入时显示在这里。</translation>
    </message>
</context>
<context>
    <name>NewRun</name>
    <message>
        <source>default</source>
        <translation>默认</translation>
    </message>
    <message>
        <source>Not a number: write it like 0.001 or 1e-3.</source>
        <translation>不是数字：请写成 0.001 或 1e-3 这样的形式。</translation>
    </message>
    <message>
        <source>Give the run a name.</source>
        <translation>请为运行命名。</translation>
    </message>
    <message>
        <source>Another run already has this name.</source>
        <translation>已有其他运行使用此名称。</translation>
    </message>
    <message>
        <source>Choose a dataset to train on (import one in the Datasets pane).</source>
        <translation>请选择用于训练的数据集（可在“数据集”面板中导入）。</translation>
    </message>
    <message>
        <source>This dataset has no validation split: the run will have no validation loss, no best checkpoint and no early stopping.</source>
        <translation>此数据集没有验证集划分：运行将没有验证损失、没有最佳检查点，也无法提前停止。</translation>
    </message>
    <message>
        <source>A learning rate of 0 learns nothing: the weights never change. Try 1e-3 for a small model.</source>
        <translation>学习率为 0 时什么也学不到：权重永远不会改变。小模型可尝试 1e-3。</translation>
    </message>
    <message>
        <source>A sequence of {seq} tokens does not fit the model&apos;s context of {context}: lower it or raise the context length.</source>
        <translation>{seq} 个词元的序列放不进模型 {context} 的上下文：请调小序列长度或增大上下文长度。</translation>
    </message>
    <message>
        <source>The training split has {have} tokens, fewer than one sequence of {seq} needs.</source>
        <translation>训练集只有 {have} 个词元，少于一个 {seq} 词元序列所需的数量。</translation>
    </message>
    <message>
        <source>One batch ({n} tokens) is larger than the whole training split ({have}): every step sees the same text many times.</source>
        <translation>一个批次（{n} 个词元）比整个训练集（{have}）还大：每一步都会多次看到相同的文本。</translation>
    </message>
    <message>
        <source>The validation split has {have} tokens, fewer than one sequence of {seq} needs.</source>
        <translation>验证集只有 {have} 个词元，少于一个 {seq} 词元序列所需的数量。</translation>
    </message>
    <message>
        <source>Early stopping watches the validation loss, and this dataset has no validation split.</source>
        <translation>提前停止依据验证损失，而此数据集没有验证集划分。</translation>
    </message>
    <message>
        <source>The warm-up is as long as the run: the learning rate never reaches its schedule.</source>
        <translation>预热与整个运行一样长：学习率永远达不到其调度。</translation>
    </message>
    <message>
        <source>Longer than the run: the validation loss is measured at the last step only.</source>
        <translation>比运行还长：验证损失只会在最后一步测量。</translation>
    </message>
    <message>
        <source>Sharding needs 2 or more processes: raise Processes, or turn sharding off.</source>
        <translation>分片需要 2 个或更多进程：请增加进程数，或关闭分片。</translation>
    </message>
    <message>
        <source>Steps</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>批大小</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>学习率</translation>
    </message>
    <message>
        <source>Peak learning rate after warm-up, e.g. 1e-3 for small models, 3e-4 for GPT-2 sizes.</source>
        <translation>预热后的峰值学习率，例如小模型用 1e-3，GPT-2 规模用 3e-4。</translation>
    </message>
    <message>
        <source>Layers</source>
        <translation>层数</translation>
    </message>
    <message>
        <source>Heads</source>
        <translation>注意力头数</translation>
    </message>
    <message>
        <source>Embedding width</source>
        <translation>嵌入宽度</translation>
    </message>
    <message>
        <source>Context length</source>
        <translation>上下文长度</translation>
    </message>
    <message>
        <source>Dropout</source>
        <translation>Dropout</translation>
    </message>
    <message>
        <source>MLP width (0 = 4 × width)</source>
        <translation>MLP 宽度（0 = 4 × 宽度）</translation>
    </message>
    <message>
        <source>Activation</source>
        <translation>激活函数</translation>
    </message>
    <message>
        <source>Biases</source>
        <translation>偏置</translation>
    </message>
    <message>
        <source>Tie input and output embeddings</source>
        <translation>输入与输出嵌入共享权重</translation>
    </message>
    <message>
        <source>Layer norm epsilon</source>
        <translation>层归一化 epsilon</translation>
    </message>
    <message>
        <source>Resize the vocabulary to the dataset&apos;s tokenizer</source>
        <translation>将词表调整为数据集分词器的大小</translation>
    </message>
    <message>
        <source>Fine-tuning only: when the dataset&apos;s tokenizer has another number of tokens than the model, resize the embeddings (the new ones start untrained).</source>
        <translation>仅用于微调：当数据集分词器的词元数与模型不同时，调整嵌入层大小（新增的嵌入从未训练状态开始）。</translation>
    </message>
    <message>
        <source>Sequence length (0 = context)</source>
        <translation>序列长度（0 = 上下文长度）</translation>
    </message>
    <message>
        <source>Gradient accumulation</source>
        <translation>梯度累积</translation>
    </message>
    <message>
        <source>Optimizer</source>
        <translation>优化器</translation>
    </message>
    <message>
        <source>Schedule</source>
        <translation>学习率调度</translation>
    </message>
    <message>
        <source>Warm-up steps</source>
        <translation>预热步数</translation>
    </message>
    <message>
        <source>Final learning rate (empty = lr / 10)</source>
        <translation>最终学习率（留空 = lr / 10）</translation>
    </message>
    <message>
        <source>Weight decay</source>
        <translation>权重衰减</translation>
    </message>
    <message>
        <source>Beta 1</source>
        <translation>Beta 1</translation>
    </message>
    <message>
        <source>Beta 2</source>
        <translation>Beta 2</translation>
    </message>
    <message>
        <source>Momentum (SGD)</source>
        <translation>动量 (SGD)</translation>
    </message>
    <message>
        <source>Gradient clipping (0 = off)</source>
        <translation>梯度裁剪（0 = 关闭）</translation>
    </message>
    <message>
        <source>Evaluate every (steps)</source>
        <translation>每隔多少步评估</translation>
    </message>
    <message>
        <source>Batches per evaluation</source>
        <translation>每次评估的批次数</translation>
    </message>
    <message>
        <source>Early stopping patience (0 = off)</source>
        <translation>提前停止耐心值（0 = 关闭）</translation>
    </message>
    <message>
        <source>Minimum improvement</source>
        <translation>最小改进量</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>随机种子</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Precision</source>
        <translation>精度</translation>
    </message>
    <message>
        <source>torch.compile</source>
        <translation>torch.compile</translation>
    </message>
    <message>
        <source>CPU threads (0 = default)</source>
        <translation>CPU 线程数（0 = 默认）</translation>
    </message>
    <message>
        <source>LoRA rank</source>
        <translation>LoRA 秩</translation>
    </message>
    <message>
        <source>The adapters&apos; inner size: 8 or 16 suit most fine-tunes; more learns more and costs more memory.</source>
        <translation>适配器的内部维度：8 或 16 适合大多数微调；更大学得更多，也占用更多内存。</translation>
    </message>
    <message>
        <source>LoRA alpha</source>
        <translation>LoRA alpha</translation>
    </message>
    <message>
        <source>Scales the adapters&apos; output (alpha / rank); twice the rank is usual.</source>
        <translation>缩放适配器的输出（alpha / 秩）；通常取秩的两倍。</translation>
    </message>
    <message>
        <source>LoRA dropout</source>
        <translation>LoRA dropout</translation>
    </message>
    <message>
        <source>Target modules</source>
        <translation>目标模块</translation>
    </message>
    <message>
        <source>The Linear layers to adapt, by name (q_proj, v_proj, c_attn ...), comma separated; empty: the model family&apos;s defaults.</source>
        <translation>要适配的线性层名称（q_proj、v_proj、c_attn …），以逗号分隔；留空：使用模型家族的默认值。</translation>
    </message>
    <message>
        <source>Checkpoint every (steps, 0 = only at the end)</source>
        <translation>每隔多少步保存检查点（0 = 只在结束时）</translation>
    </message>
    <message>
        <source>Latest checkpoints kept</source>
        <translation>保留的最新检查点数</translation>
    </message>
    <message>
        <source>Also keep the best (lowest validation loss)</source>
        <translation>同时保留最佳检查点（验证损失最低）</translation>
    </message>
    <message>
        <source>Processes (GPUs) on this machine</source>
        <translation>本机进程数（GPU 数）</translation>
    </message>
    <message>
        <source>More than one starts the worker with torchrun and DistributedDataParallel.</source>
        <translation>多于一个时，将用 torchrun 和 DistributedDataParallel 启动工作进程。</translation>
    </message>
    <message>
        <source>Shard the model over the processes (FSDP)</source>
        <translation>将模型分片到各进程（FSDP）</translation>
    </message>
    <message>
        <source>For a model too big for one device: weights, gradients and optimizer state are split over the processes (FSDP2) instead of copied to each. Needs 2 or more processes.</source>
        <translation>用于单个设备放不下的模型：权重、梯度和优化器状态分散到各进程（FSDP2），而不是每个进程各复制一份。需要 2 个或更多进程。</translation>
    </message>
    <message>
        <source>Tags (comma separated)</source>
        <translation>标签（逗号分隔）</translation>
    </message>
    <message>
        <source>Group</source>
        <translation>分组</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>Checkpoints and organisation</source>
        <translation>检查点与组织</translation>
    </message>
    <message>
        <source>Fine-tuning</source>
        <translation>微调</translation>
    </message>
    <message>
        <source>Fine-tune {name} v{version}</source>
        <translation>微调 {name} v{version}</translation>
    </message>
    <message>
        <source>best</source>
        <translation>最佳</translation>
    </message>
    <message>
        <source>latest</source>
        <translation>最新</translation>
    </message>
    <message>
        <source>checkpoint of step {step} ({which})</source>
        <translation>第 {step} 步的检查点（{which}）</translation>
    </message>
    <message>
        <source>val loss {loss:.4f}</source>
        <translation>验证损失 {loss:.4f}</translation>
    </message>
</context>
<context>
    <name>NewRunDialog</name>
    <message>
        <source>New training run</source>
        <translation>新建训练运行</translation>
    </message>
    <message>
        <source>{name} ({tokens} tokens)</source>
        <translation>{name}（{tokens} 个词元）</translation>
    </message>
    <message>
        <source>Random weights (train from scratch)</source>
        <translation>随机权重（从头训练）</translation>
    </message>
    <message>
        <source>custom</source>
        <translation>自定义</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Dataset</source>
        <translation>数据集</translation>
    </message>
    <message>
        <source>Start from</source>
        <translation>起点</translation>
    </message>
    <message>
        <source>Model preset</source>
        <translation>模型预设</translation>
    </message>
    <message>
        <source>Advanced settings</source>
        <translation>高级设置</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Parameters: &lt;b&gt;{n}&lt;/b&gt;</source>
        <translation>参数量：&lt;b&gt;{n}&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Estimating memory and time per step…</source>
        <translation>正在估算内存和每步时间…</translation>
    </message>
    <message>
        <source>Memory: &lt;b&gt;{total}&lt;/b&gt; (weights {w}, gradients {g}, optimizer {o}, activations {a})</source>
        <translation>内存：&lt;b&gt;{total}&lt;/b&gt;（权重 {w}，梯度 {g}，优化器 {o}，激活 {a}）</translation>
    </message>
    <message>
        <source>of {have} on {device}</source>
        <translation>（{device} 共 {have}）</translation>
    </message>
    <message>
        <source>This does not fit in the device&apos;s memory: lower the batch size or the model size.</source>
        <translation>设备内存放不下：请减小批大小或模型规模。</translation>
    </message>
    <message>
        <source>Trains &lt;b&gt;{t}&lt;/b&gt; adapter parameters ({share} of the model); the base stays frozen: no gradients or optimizer state for its weights.</source>
        <translation>训练 &lt;b&gt;{t}&lt;/b&gt; 个适配器参数（占模型的 {share}）；基础模型保持冻结：其权重没有梯度和优化器状态。</translation>
    </message>
    <message>
        <source>Memory per device, with the model sharded over {n} processes.</source>
        <translation>每个设备的内存，模型分片到 {n} 个进程。</translation>
    </message>
    <message>
        <source>Time per step: &lt;b&gt;{t}&lt;/b&gt;</source>
        <translation>每步时间：&lt;b&gt;{t}&lt;/b&gt;</translation>
    </message>
    <message>
        <source>({low} to {high})</source>
        <translation>（{low} 至 {high}）</translation>
    </message>
    <message>
        <source>the run: about &lt;b&gt;{t}&lt;/b&gt;</source>
        <translation>整个运行：约 &lt;b&gt;{t}&lt;/b&gt;</translation>
    </message>
    <message>
        <source>No estimate: {error}</source>
        <translation>无法估算：{error}</translation>
    </message>
    <message>
        <source>The model&apos;s shape comes from {name} v{version}.</source>
        <translation>模型结构来自 {name} v{version}。</translation>
    </message>
    <message>
        <source>Fine-tune from a checkpoint of {name}</source>
        <translation>从 {name} 的检查点微调</translation>
    </message>
    <message>
        <source>New run with the settings of {name}</source>
        <translation>以 {name} 的设置新建运行</translation>
    </message>
    <message>
        <source>The run did not start: see the message next to the setting.</source>
        <translation>运行未能启动：请查看该设置旁的提示。</translation>
    </message>
    <message>
        <source>The run did not start: {error}</source>
        <translation>运行未能启动：{error}</translation>
    </message>
</context>
<context>
    <name>RunActions</name>
    <message>
        <source>New run…</source>
        <translation>新建运行…</translation>
    </message>
    <message>
        <source>Clone settings…</source>
        <translation>复制设置…</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Kill</source>
        <translation>强制结束</translation>
    </message>
    <message>
        <source>Resume from checkpoint…</source>
        <translation>从检查点继续…</translation>
    </message>
    <message>
        <source>Fine-tune from it…</source>
        <translation>从它微调…</translation>
    </message>
    <message>
        <source>Tags…</source>
        <translation>标签…</translation>
    </message>
    <message>
        <source>Group…</source>
        <translation>分组…</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <source>Stop after the current step, with a final checkpoint</source>
        <translation>在当前步之后停止，并保存最终检查点</translation>
    </message>
    <message>
        <source>End the worker process at once (no final checkpoint)</source>
        <translation>立即结束工作进程（不保存最终检查点）</translation>
    </message>
    <message>
        <source>Continue this run from one of its checkpoints</source>
        <translation>从此运行的某个检查点继续</translation>
    </message>
    <message>
        <source>Start a new run from one of this run&apos;s checkpoints</source>
        <translation>从此运行的某个检查点开始一个新运行</translation>
    </message>
    <message>
        <source>Kill the run?</source>
        <translation>强制结束运行？</translation>
    </message>
    <message>
        <source>End the worker of “{name}” at once? It writes no final checkpoint; the run can be resumed from its last checkpoint.</source>
        <translation>立即结束“{name}”的工作进程？不会保存最终检查点；之后可以从最后一个检查点继续。</translation>
    </message>
    <message>
        <source>Pausing {name}…</source>
        <translation>正在暂停 {name}…</translation>
    </message>
    <message>
        <source>Resuming {name}…</source>
        <translation>正在继续 {name}…</translation>
    </message>
    <message>
        <source>Stopping {name} (a final checkpoint first)…</source>
        <translation>正在停止 {name}（先保存最终检查点）…</translation>
    </message>
    <message>
        <source>Killed {name}.</source>
        <translation>已强制结束 {name}。</translation>
    </message>
    <message>
        <source>Paused {name} at step {step}.</source>
        <translation>已在第 {step} 步暂停 {name}。</translation>
    </message>
    <message>
        <source>{name} is running again.</source>
        <translation>{name} 已恢复运行。</translation>
    </message>
    <message>
        <source>Stopped {name} at step {step}.</source>
        <translation>已在第 {step} 步停止 {name}。</translation>
    </message>
    <message>
        <source>{name} is {status}.</source>
        <translation>{name} 状态：{status}。</translation>
    </message>
    <message>
        <source>No checkpoint</source>
        <translation>没有检查点</translation>
    </message>
    <message>
        <source>“{name}” has no checkpoint to continue from. Train it again from the start, with the same settings?</source>
        <translation>“{name}”没有可继续的检查点。要以相同设置从头重新训练吗？</translation>
    </message>
    <message>
        <source>“{name}” has no checkpoint yet.</source>
        <translation>“{name}”还没有检查点。</translation>
    </message>
    <message>
        <source>Choose a checkpoint</source>
        <translation>选择检查点</translation>
    </message>
    <message>
        <source>Checkpoint</source>
        <translation>检查点</translation>
    </message>
    <message>
        <source>, val loss {loss:.4f}</source>
        <translation>，验证损失 {loss:.4f}</translation>
    </message>
    <message>
        <source>best</source>
        <translation>最佳</translation>
    </message>
    <message>
        <source>latest</source>
        <translation>最新</translation>
    </message>
    <message>
        <source>step {step} ({kind}{loss})</source>
        <translation>第 {step} 步（{kind}{loss}）</translation>
    </message>
    <message>
        <source>Resuming {name} from step {step}…</source>
        <translation>正在从第 {step} 步继续 {name}…</translation>
    </message>
    <message>
        <source>Starting {name} again from the start…</source>
        <translation>正在从头重新开始 {name}…</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>Tags of “{name}” (comma separated)</source>
        <translation>“{name}”的标签（逗号分隔）</translation>
    </message>
    <message>
        <source>Tags saved.</source>
        <translation>标签已保存。</translation>
    </message>
    <message>
        <source>Group</source>
        <translation>分组</translation>
    </message>
    <message>
        <source>Put {n} run(s) in the group (empty: no group)</source>
        <translation>将 {n} 个运行放入分组（留空：不分组）</translation>
    </message>
    <message>
        <source>Group saved.</source>
        <translation>分组已保存。</translation>
    </message>
    <message>
        <source>• {name}: {points} metric points, {n} checkpoints ({size}), its log ({log})</source>
        <translation>• {name}：{points} 个指标点，{n} 个检查点（{size}），其日志（{log}）</translation>
    </message>
    <message>
        <source>Delete runs</source>
        <translation>删除运行</translation>
    </message>
    <message>
        <source>Delete these runs? This deletes, for good:</source>
        <translation>删除这些运行？以下内容将被永久删除：</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Deleted {name}.</source>
        <translation>已删除 {name}。</translation>
    </message>
    <message>
        <source>Export the checkpoint to a folder</source>
        <translation>将检查点导出到文件夹</translation>
    </message>
    <message>
        <source>Exported to {folder}.</source>
        <translation>已导出到 {folder}。</translation>
    </message>
    <message>
        <source>Delete the checkpoint?</source>
        <translation>删除检查点？</translation>
    </message>
    <message>
        <source>Delete the checkpoint at step {step} of “{name}” ({size})? This cannot be undone.</source>
        <translation>删除“{name}”第 {step} 步的检查点（{size}）？此操作无法撤销。</translation>
    </message>
    <message>
        <source>Checkpoint deleted.</source>
        <translation>检查点已删除。</translation>
    </message>
</context>
<context>
    <name>RunDetails</name>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>日志</translation>
    </message>
    <message>
        <source>Checkpoints</source>
        <translation>检查点</translation>
    </message>
    <message>
        <source>System</source>
        <translation>系统</translation>
    </message>
    <message>
        <source>Audit</source>
        <translation>审计</translation>
    </message>
    <message>
        <source>dataset</source>
        <translation>数据集</translation>
    </message>
    <message>
        <source>tags</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>group</source>
        <translation>分组</translation>
    </message>
    <message>
        <source>fine-tuned from</source>
        <translation>微调自</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>Options</source>
        <translation>选项</translation>
    </message>
</context>
<context>
    <name>RunNotice</name>
    <message>
        <source>Show the whole log</source>
        <translation>查看完整日志</translation>
    </message>
    <message>
        <source>{name} {status}: {message}</source>
        <translation>{name} {status}：{message}</translation>
    </message>
</context>
<context>
    <name>Runs</name>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Dataset</source>
        <translation>数据集</translation>
    </message>
    <message>
        <source>Model size</source>
        <translation>模型规模</translation>
    </message>
    <message>
        <source>Step / total</source>
        <translation>步数 / 总数</translation>
    </message>
    <message>
        <source>Best val loss</source>
        <translation>最佳验证损失</translation>
    </message>
    <message>
        <source>Tokens/s</source>
        <translation>词元/秒</translation>
    </message>
    <message>
        <source>ETA</source>
        <translation>剩余时间</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>开始时间</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>时长</translation>
    </message>
    <message>
        <source>Owner</source>
        <translation>所有者</translation>
    </message>
    <message>
        <source>Group</source>
        <translation>分组</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>queued</source>
        <translation>排队中</translation>
    </message>
    <message>
        <source>running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <source>paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>completed</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>diverged</source>
        <translation>已发散</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>interrupted</source>
        <translation>已中断</translation>
    </message>
    <message>
        <source>All runs</source>
        <translation>全部运行</translation>
    </message>
    <message>
        <source>Live (queued, running, paused)</source>
        <translation>活动中（排队、运行、暂停）</translation>
    </message>
    <message>
        <source>Finished</source>
        <translation>已结束</translation>
    </message>
    <message>
        <source>Failed, diverged, interrupted</source>
        <translation>失败、发散、中断</translation>
    </message>
</context>
<context>
    <name>RunsTable</name>
    <message>
        <source>Search runs, datasets, tags, owners</source>
        <translation>搜索运行、数据集、标签、所有者</translation>
    </message>
    <message>
        <source>Show one group (folder) of runs</source>
        <translation>只显示一个分组（文件夹）的运行</translation>
    </message>
    <message>
        <source>Show runs with this tag</source>
        <translation>显示带有此标签的运行</translation>
    </message>
    <message>
        <source>All groups</source>
        <translation>全部分组</translation>
    </message>
    <message>
        <source>All tags</source>
        <translation>全部标签</translation>
    </message>
</context>
<context>
    <name>SamplingForm</name>
    <message>
        <source>off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>1.0 = off</source>
        <translation>1.0 = 关闭</translation>
    </message>
    <message>
        <source>random</source>
        <translation>随机</translation>
    </message>
    <message>
        <source>Greedy (always the likeliest token)</source>
        <translation>贪心（总是选择最可能的词元）</translation>
    </message>
    <message>
        <source>Max new tokens</source>
        <translation>最多新词元数</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <source>Top-k</source>
        <translation>Top-k</translation>
    </message>
    <message>
        <source>Top-p</source>
        <translation>Top-p</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>随机种子</translation>
    </message>
</context>
<context>
    <name>Settings</name>
    <message>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>no</source>
        <translation>否</translation>
    </message>
</context>
<context>
    <name>TrainingPane</name>
    <message>
        <source>Runs are still training</source>
        <translation>仍有运行在训练</translation>
    </message>
    <message>
        <source>{n} run(s) are still training: {names}.</source>
        <translation>{n} 个运行仍在训练：{names}。</translation>
    </message>
    <message>
        <source>They keep training without the window: open Model Studio again to watch them.</source>
        <translation>关闭窗口后它们会继续训练：再次打开 Model Studio 即可查看。</translation>
    </message>
    <message>
        <source>Leave them running</source>
        <translation>让它们继续运行</translation>
    </message>
    <message>
        <source>Stop them</source>
        <translation>停止它们</translation>
    </message>
    <message>
        <source>Charts</source>
        <translation>图表</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>详情</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>比较</translation>
    </message>
    <message>
        <source>Generate</source>
        <translation>生成</translation>
    </message>
    <message>
        <source>This build has no training engine: runs cannot be started or shown.</source>
        <translation>此版本没有训练引擎：无法启动或显示运行。</translation>
    </message>
    <message>
        <source>Only administrators read the audit log.</source>
        <translation>只有管理员可以读取审计日志。</translation>
    </message>
    <message>
        <source>PNG image (*.png)</source>
        <translation>PNG 图像 (*.png)</translation>
    </message>
    <message>
        <source>SVG drawing (*.svg)</source>
        <translation>SVG 图形 (*.svg)</translation>
    </message>
    <message>
        <source>CSV table (*.csv)</source>
        <translation>CSV 表格 (*.csv)</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>Wrote {n} rows to {path}.</source>
        <translation>已将 {n} 行写入 {path}。</translation>
    </message>
    <message>
        <source>Saved {path}.</source>
        <translation>已保存 {path}。</translation>
    </message>
</context>
</TS>
