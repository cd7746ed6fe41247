<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>core</name>
    <message>
        <source>The sparsity must be a number between 0 and 0.95.</source>
        <translation>稀疏度必须是 0 到 0.95 之间的数。</translation>
    </message>
    <message>
        <source>The sparsity must be between 0 and {max_sparsity} (got {sparsity:g}); pruning more than 95% leaves too little of the model to be useful.</source>
        <translation>稀疏度必须在 0 到 {max_sparsity} 之间（当前为 {sparsity:g}）；剪枝超过 95% 后模型剩下的部分太少，已无用处。</translation>
    </message>
    <message>
        <source>Unknown pruning scope {scope!r}; choose one of {value}.</source>
        <translation>未知的剪枝范围 {scope!r}；请从 {value} 中选择。</translation>
    </message>
    <message>
        <source>Structured pruning removes the same share of heads and neurons in every layer; global scope applies to unstructured pruning only.</source>
        <translation>结构化剪枝在每一层移除相同比例的注意力头和神经元；全局范围只适用于非结构化剪枝。</translation>
    </message>
    <message>
        <source>Unknown quantization {quant!r}; choose one of {value}.</source>
        <translation>未知的量化方式 {quant!r}；请从 {value} 中选择。</translation>
    </message>
    <message>
        <source>The int4 group size must be one of {value} (got {group_size}).</source>
        <translation>int4 分组大小必须是 {value} 之一（当前为 {group_size}）。</translation>
    </message>
    <message>
        <source>The recovery steps must be a whole number from 0 to 1,000,000.</source>
        <translation>恢复步数必须是 0 到 1,000,000 之间的整数。</translation>
    </message>
    <message>
        <source>A recovery fine-tune follows pruning; set a sparsity, or set the recovery steps to 0.</source>
        <translation>恢复微调在剪枝之后进行；请设置稀疏度，或把恢复步数设为 0。</translation>
    </message>
    <message>
        <source>The recovery learning rate must be positive.</source>
        <translation>恢复学习率必须为正数。</translation>
    </message>
    <message>
        <source>Unknown kernel {kernel!r}; choose one of {value}.</source>
        <translation>未知的内核 {kernel!r}；请从 {value} 中选择。</translation>
    </message>
    <message>
        <source>A kernel applies to quantized models only; choose a quantization or kernel auto.</source>
        <translation>内核只适用于量化模型；请选择一种量化方式，或把内核设为 auto。</translation>
    </message>
    <message>
        <source>The int4pack kernel runs int4 models only.</source>
        <translation>int4pack 内核只能运行 int4 模型。</translation>
    </message>
    <message>
        <source>The {kernel} kernel runs int8 models only.</source>
        <translation>{kernel} 内核只能运行 int8 模型。</translation>
    </message>
    <message>
        <source>This recipe does nothing: choose a sparsity, a quantization or both.</source>
        <translation>此方案什么也不做：请选择稀疏度、量化方式或两者。</translation>
    </message>
    <message>
        <source>Unknown pruning method {method!r}; choose one of {value}.</source>
        <translation>未知的剪枝方法 {method!r}；请从 {value} 中选择。</translation>
    </message>
    <message>
        <source>Unknown sparsity pattern {pattern!r}; choose one of {value}.</source>
        <translation>未知的稀疏模式 {pattern!r}；请从 {value} 中选择。</translation>
    </message>
    <message>
        <source>Structured pruning ranks whole heads and neurons by their weights; Wanda, SparseGPT and N:M patterns apply to unstructured pruning.</source>
        <translation>结构化剪枝按权重对整个注意力头和神经元排序；Wanda、SparseGPT 和 N:M 模式只适用于非结构化剪枝。</translation>
    </message>
    <message>
        <source>{method} prunes each layer against its own inputs; the global scope is for magnitude pruning.</source>
        <translation>{method} 按每一层自己的输入剪枝；全局范围只用于幅值剪枝。</translation>
    </message>
    <message>
        <source>An N:M pattern applies to every layer alike; use the layer scope.</source>
        <translation>N:M 模式对每一层一视同仁；请使用按层范围。</translation>
    </message>
    <message>
        <source>Unknown quantization method {quant_method!r}; choose one of {value}.</source>
        <translation>未知的量化方法 {quant_method!r}；请从 {value} 中选择。</translation>
    </message>
    <message>
        <source>{method} chooses int8 or int4 weights; set the weights to int8 or int4.</source>
        <translation>{method} 用于选择 int8 或 int4 权重；请把权重设为 int8 或 int4。</translation>
    </message>
    <message>
        <source>Act-order is a GPTQ setting.</source>
        <translation>激活顺序（act-order）是 GPTQ 的设置。</translation>
    </message>
    <message>
        <source>Unknown calibration split {split!r}; choose one of {value}.</source>
        <translation>未知的校准数据划分 {split!r}；请从 {value} 中选择。</translation>
    </message>
    <message>
        <source>The calibration samples must be a whole number from 1 to 100,000.</source>
        <translation>校准样本数必须是 1 到 100,000 之间的整数。</translation>
    </message>
    <message>
        <source>The calibration length must be 0 (the model&apos;s context) or at least 8 tokens.</source>
        <translation>校准长度必须为 0（即模型的上下文长度）或至少 8 个词元。</translation>
    </message>
    <message>
        <source>A {pattern} pattern removes exactly {share:g}% of the weights; set the sparsity to {share:g}% or choose unstructured pruning.</source>
        <translation>{pattern} 模式恰好移除 {share:g}% 的权重；请把稀疏度设为 {share:g}%，或选择非结构化剪枝。</translation>
    </message>
    <message>
        <source>Set the sparsity to {share:g}% for the {pattern} pattern.</source>
        <translation>{pattern} 模式需要把稀疏度设为 {share:g}%。</translation>
    </message>
    <message>
        <source>Unknown recipe settings: {value}.</source>
        <translation>未知的方案设置：{value}。</translation>
    </message>
    <message>
        <source>Unreadable recipe: {exc}.</source>
        <translation>无法读取的方案：{exc}。</translation>
    </message>
    <message>
        <source>Layer {i} has a single head and {value} MLP neurons: there is nothing left to remove. Use unstructured pruning instead.</source>
        <translation>第 {i} 层只有一个注意力头和 {value} 个 MLP 神经元：已没有可移除的部分。请改用非结构化剪枝。</translation>
    </message>
    <message>
        <source>Choose group size {sizes}.</source>
        <translation>请选择分组大小 {sizes}。</translation>
    </message>
    <message>
        <source>No supported group size divides it; use int8 instead.</source>
        <translation>没有受支持的分组大小能整除它；请改用 int8。</translation>
    </message>
    <message>
        <source>The int4 group size {g} does not divide {what}, {width}. {advice}</source>
        <translation>int4 分组大小 {g} 不能整除 {what}（{width}）。{advice}</translation>
    </message>
    <message>
        <source>A dataset needs a name.</source>
        <translation>数据集需要一个名称。</translation>
    </message>
    <message>
        <source>A dataset name has at most {max_name} characters.</source>
        <translation>数据集名称最多 {max_name} 个字符。</translation>
    </message>
    <message>
        <source>A dataset name cannot contain control characters.</source>
        <translation>数据集名称不能包含控制字符。</translation>
    </message>
    <message>
        <source>A dataset name cannot be only digits (they would read as an id).</source>
        <translation>数据集名称不能只由数字组成（会被当作编号）。</translation>
    </message>
    <message>
        <source>{tag!r} is not a usable tag (1-60 characters, no commas).</source>
        <translation>{tag!r} 不是可用的标签（1 到 60 个字符，不含逗号）。</translation>
    </message>
    <message>
        <source>Give three split ratios: train, validation, test (e.g. 0.9,0.05,0.05).</source>
        <translation>请给出三个划分比例：训练、验证、测试（例如 0.9,0.05,0.05）。</translation>
    </message>
    <message>
        <source>Split ratios cannot be negative.</source>
        <translation>划分比例不能为负数。</translation>
    </message>
    <message>
        <source>The split ratios add up to {value:g}; they must add up to 1.</source>
        <translation>划分比例之和为 {value:g}；必须等于 1。</translation>
    </message>
    <message>
        <source>The train split cannot be empty.</source>
        <translation>训练集不能为空。</translation>
    </message>
    <message>
        <source>Unknown format {format!r}; choose one of {value}.</source>
        <translation>未知的格式 {format!r}；请从 {value} 中选择。</translation>
    </message>
    <message>
        <source>Unknown text unit {text_unit!r}; choose one of {value}.</source>
        <translation>未知的文本单位 {text_unit!r}；请从 {value} 中选择。</translation>
    </message>
    <message>
        <source>Unknown UTF-8 error policy {utf8_errors!r}; choose fail, replace or skip.</source>
        <translation>未知的 UTF-8 错误处理方式 {utf8_errors!r}；请选择 fail、replace 或 skip。</translation>
    </message>
    <message>
        <source>Choose either a text field or prompt/response fields or a messages field.</source>
        <translation>请选择一个文本字段，或提示/回答字段，或消息字段，三者选其一。</translation>
    </message>
    <message>
        <source>Prompt/response data needs both a prompt field and a response field.</source>
        <translation>提示/回答数据需要同时有提示字段和回答字段。</translation>
    </message>
    <message>
        <source>Choose either prompt/response fields or a messages field.</source>
        <translation>请在提示/回答字段和消息字段中选择其一。</translation>
    </message>
    <message>
        <source>The minimum document length cannot be negative.</source>
        <translation>最短文档长度不能为负数。</translation>
    </message>
    <message>
        <source>The BPE training sample must be at least 1 MB.</source>
        <translation>BPE 训练样本至少需要 1 MB。</translation>
    </message>
    <message>
        <source>The longest document must be between 1 and 1024 MB.</source>
        <translation>最长文档必须在 1 到 1024 MB 之间。</translation>
    </message>
    <message>
        <source>Name the vault model whose tokenizer to use (MODEL or MODEL:VERSION).</source>
        <translation>请指定要使用其分词器的保险库模型（MODEL 或 MODEL:VERSION）。</translation>
    </message>
    <message>
        <source>Choose a tokenizer: byte, char, bpe or a tokenizer.json file.</source>
        <translation>请选择分词器：byte、char、bpe 或一个 tokenizer.json 文件。</translation>
    </message>
    <message>
        <source>{text!r} is not a split like 0.9,0.05,0.05.</source>
        <translation>{text!r} 不是形如 0.9,0.05,0.05 的划分。</translation>
    </message>
    <message>
        <source>{root} does not exist.</source>
        <translation>{root} 不存在。</translation>
    </message>
    <message>
        <source>{root} is neither a file nor a folder.</source>
        <translation>{root} 既不是文件也不是文件夹。</translation>
    </message>
    <message>
        <source>The folder {root} has no files{what}.</source>
        <translation>文件夹 {root} 中没有文件{what}。</translation>
    </message>
    <message>
        <source>has an extension the studio does not know; choose its format (text, jsonl, csv or parquet).</source>
        <translation>扩展名无法识别；请选择其格式（text、jsonl、csv 或 parquet）。</translation>
    </message>
    <message>
        <source>has an extension the studio does not know; choose its format.</source>
        <translation>扩展名无法识别；请选择其格式。</translation>
    </message>
    <message>
        <source>{path}{where}: {message}</source>
        <translation>{path}{where}：{message}</translation>
    </message>
    <message>
        <source>is UTF-16 text; convert it to UTF-8 first.</source>
        <translation>是 UTF-16 文本；请先转换为 UTF-8。</translation>
    </message>
    <message>
        <source>looks like a binary file (a NUL byte); only text files can be imported.</source>
        <translation>看起来是二进制文件（含 NUL 字节）；只能导入文本文件。</translation>
    </message>
    <message>
        <source>cannot be opened ({value}).</source>
        <translation>无法打开（{value}）。</translation>
    </message>
    <message>
        <source>is not a readable gzip file ({error}).</source>
        <translation>不是可读的 gzip 文件（{error}）。</translation>
    </message>
    <message>
        <source>is not a readable zstd file ({error}).</source>
        <translation>不是可读的 zstd 文件（{error}）。</translation>
    </message>
    <message>
        <source>invalid UTF-8 (byte 0x{value:02X}). Choose &apos;replace&apos; or &apos;skip&apos; for invalid UTF-8 to import it anyway, or convert the file to UTF-8.</source>
        <translation>无效的 UTF-8（字节 0x{value:02X}）。如仍要导入，请把无效 UTF-8 的处理方式设为“替换”或“跳过”，或把文件转换为 UTF-8。</translation>
    </message>
    <message>
        <source>The embedding width ({n_embd}) must be divisible by the number of heads ({n_head}).</source>
        <translation>嵌入宽度（{n_embd}）必须能被注意力头数（{n_head}）整除。</translation>
    </message>
    <message>
        <source>dropout must be in [0, 1) (got {dropout}).</source>
        <translation>dropout 必须在 [0, 1) 之间（当前为 {dropout}）。</translation>
    </message>
    <message>
        <source>layer_norm_eps must be positive.</source>
        <translation>layer_norm_eps 必须为正数。</translation>
    </message>
    <message>
        <source>Unknown activation {activation!r}; choose one of {value}.</source>
        <translation>未知的激活函数 {activation!r}；请从 {value} 中选择。</translation>
    </message>
    <message>
        <source>n_inner must be positive.</source>
        <translation>n_inner 必须为正数。</translation>
    </message>
    <message>
        <source>Unknown model preset {name!r}; choose one of {value}.</source>
        <translation>未知的模型预设 {name!r}；请从 {value} 中选择。</translation>
    </message>
    <message>
        <source>{name} must be a positive whole number (got {value!r}).</source>
        <translation>{name} 必须是正整数（当前为 {value!r}）。</translation>
    </message>
    <message>
        <source>A layer cannot have more heads than n_head ({n_head}).</source>
        <translation>一层的注意力头数不能超过 n_head（{n_head}）。</translation>
    </message>
    <message>
        <source>Unknown model settings: {value}.</source>
        <translation>未知的模型设置：{value}。</translation>
    </message>
    <message>
        <source>{name} must list one value per layer ({n_layer}).</source>
        <translation>{name} 必须为每一层给出一个值（共 {n_layer} 层）。</translation>
    </message>
    <message>
        <source>Every value in {name} must be at least 1.</source>
        <translation>{name} 中的每个值都必须至少为 1。</translation>
    </message>
    <message>
        <source>Incomplete model settings: {exc}.</source>
        <translation>模型设置不完整：{exc}。</translation>
    </message>
    <message>
        <source>from FLOPs, rough: {flops:.3g} per step at {efficiency:.0%} of a measured {gflops:.0f} GFLOP/s float32 matmul on {device}</source>
        <translation>按 FLOPs 粗略估算：每步 {flops:.3g} 次浮点运算，按 {device} 上实测 {gflops:.0f} GFLOP/s float32 矩阵乘法的 {efficiency:.0%} 计</translation>
    </message>
    <message>
        <source>{how}; the machine was busy (load {load:.1f} on {cores} cores), so steps may run faster when it is not</source>
        <translation>{how}；当时机器较忙（{cores} 个核心上负载 {load:.1f}），空闲时每步可能更快</translation>
    </message>
    <message>
        <source>measured: median of {steps} training steps of this model on {device}, {threads} thread(s) (after one warm-up step)</source>
        <translation>实测：此模型在 {device}（{threads} 个线程）上 {steps} 个训练步的中位数（先预热一步）</translation>
    </message>
    <message>
        <source>measured: median of {steps} training steps of this model on {device} (after one warm-up step)</source>
        <translation>实测：此模型在 {device} 上 {steps} 个训练步的中位数（先预热一步）</translation>
    </message>
    <message>
        <source>The password must have at least {min_length} characters.</source>
        <translation>密码至少需要 {min_length} 个字符。</translation>
    </message>
    <message>
        <source>The password may have at most {max_length} characters.</source>
        <translation>密码最多 {max_length} 个字符。</translation>
    </message>
    <message>
        <source>This password is on the list of common passwords; choose another.</source>
        <translation>此密码在常见密码列表中；请换一个。</translation>
    </message>
    <message>
        <source>The password repeats too few characters; choose a longer mix.</source>
        <translation>此密码的不同字符太少；请选择更长、更多样的组合。</translation>
    </message>
    <message>
        <source>The password must not contain the user name.</source>
        <translation>密码不能包含用户名。</translation>
    </message>
    <message>
        <source>Wrong user name or password, or the account is disabled.</source>
        <translation>用户名或密码错误，或账户已被停用。</translation>
    </message>
    <message>
        <source>Unknown role {role!r}; choose one of {value}.</source>
        <translation>未知的角色 {role!r}；请从 {value} 中选择。</translation>
    </message>
    <message>
        <source>This data folder already has users; log in as an administrator to add more.</source>
        <translation>此数据文件夹已有用户；请以管理员身份登录后再添加。</translation>
    </message>
    <message>
        <source>This account is locked after {max_failures} failed logins in a row; an administrator must unlock it.</source>
        <translation>此账户在连续 {max_failures} 次登录失败后已被锁定；需要管理员解锁。</translation>
    </message>
    <message>
        <source>Too many failed logins: wait {value} before trying again.</source>
        <translation>登录失败次数过多：请等待 {value} 后再试。</translation>
    </message>
    <message>
        <source>At least one active administrator must remain.</source>
        <translation>必须至少保留一名启用中的管理员。</translation>
    </message>
    <message>
        <source>The new password must differ from the old one.</source>
        <translation>新密码必须与旧密码不同。</translation>
    </message>
    <message>
        <source>Another process created the first administrator at the same time; log in.</source>
        <translation>另一个进程同时创建了第一位管理员；请登录。</translation>
    </message>
    <message>
        <source>The user name {name!r} is taken.</source>
        <translation>用户名 {name!r} 已被占用。</translation>
    </message>
    <message>
        <source>You cannot disable your own account.</source>
        <translation>不能停用自己的账户。</translation>
    </message>
    <message>
        <source>Use &apos;change password&apos; for your own account (a reset would replace your keys).</source>
        <translation>请对自己的账户使用“修改密码”（重置会替换你的密钥）。</translation>
    </message>
    <message>
        <source>The current password is wrong.</source>
        <translation>当前密码错误。</translation>
    </message>
    <message>
        <source>The tokenizer file {tokenizer} does not exist.</source>
        <translation>分词器文件 {tokenizer} 不存在。</translation>
    </message>
    <message>
        <source>A dataset named {name!r} exists already; choose another name.</source>
        <translation>名为 {name!r} 的数据集已存在；请换一个名称。</translation>
    </message>
    <message>
        <source>The dataset {name!r} is used by {value}; delete those first.</source>
        <translation>数据集 {name!r} 正被 {value} 使用；请先删除它们。</translation>
    </message>
    <message>
        <source>Name an object as TYPE:ID, e.g. model:12 (got {text!r}).</source>
        <translation>请以 类型:编号 的形式指定对象，例如 model:12（当前为 {text!r}）。</translation>
    </message>
    <message>
        <source>Unknown permission {permission!r}; choose one of {value}.</source>
        <translation>未知的权限 {permission!r}；请从 {value} 中选择。</translation>
    </message>
    <message>
        <source>Grants are given on {value} objects, not {obj_type!r}.</source>
        <translation>授权只能针对 {value} 对象，不能针对 {obj_type!r}。</translation>
    </message>
    <message>
        <source>There is no {obj_type} {oid}.</source>
        <translation>不存在 {obj_type} {oid}。</translation>
    </message>
    <message>
        <source>A viewer can only be given &apos;use&apos; (the viewer role never exports or manages).</source>
        <translation>查看者只能被授予“使用”权限（查看者角色不能导出或管理）。</translation>
    </message>
    <message>
        <source>{name} already has {permission} on {obj_type} {oid}.</source>
        <translation>{name} 已拥有 {obj_type} {oid} 的 {permission} 权限。</translation>
    </message>
    <message>
        <source>{name} has no {permission} grant on {obj_type} {oid}.</source>
        <translation>{name} 没有 {obj_type} {oid} 的 {permission} 授权。</translation>
    </message>
    <message>
        <source>A sample needs its prompt and its text.</source>
        <translation>样本需要包含提示词和文本。</translation>
    </message>
    <message>
        <source>Choose a preset ({presets}) or give the model&apos;s layers, heads and width.</source>
        <translation>请选择一个预设（{presets}），或给出模型的层数、注意力头数和宽度。</translation>
    </message>
    <message>
        <source>The sequence length ({seq_len}) is longer than the model&apos;s context ({block_size}).</source>
        <translation>序列长度（{seq_len}）超过了模型的上下文长度（{block_size}）。</translation>
    </message>
    <message>
        <source>A run over several machines needs --master-addr (the address of node 0).</source>
        <translation>跨多台机器的运行需要 --master-addr（0 号节点的地址）。</translation>
    </message>
    <message>
        <source>--node-rank must be between 0 and nnodes - 1.</source>
        <translation>--node-rank 必须在 0 到 nnodes - 1 之间。</translation>
    </message>
    <message>
        <source>The training split of {name!r} has {train_tokens} tokens, fewer than one sequence of {value}: use a shorter context or more data.</source>
        <translation>{name!r} 的训练集只有 {train_tokens} 个词元，不足一个长度为 {value} 的序列：请使用更短的上下文或更多数据。</translation>
    </message>
    <message>
        <source>Unknown run settings: {value}.</source>
        <translation>未知的运行设置：{value}。</translation>
    </message>
    <message>
        <source>Unknown model setting: {exc}.</source>
        <translation>未知的模型设置：{exc}。</translation>
    </message>
    <message>
        <source>Unknown training setting: {exc}.</source>
        <translation>未知的训练设置：{exc}。</translation>
    </message>
    <message>
        <source>Early stopping needs a validation split; this dataset has none (or it is shorter than one sequence). Set patience to 0.</source>
        <translation>提前停止需要验证集；此数据集没有验证集（或它短于一个序列）。请把耐心值设为 0。</translation>
    </message>
    <message>
        <source>Unknown back-end {backend}; choose one of {choices}.</source>
        <translation>未知的后端 {backend}；请选择 {choices} 之一。</translation>
    </message>
    <message>
        <source>llama.cpp is not installed: the llama.cpp back-end needs llama-cpp-python, which a source install has (make setup) and the packaged app does not. The torch back-end serves every model.</source>
        <translation>未安装 llama.cpp：llama.cpp 后端需要 llama-cpp-python，源码安装（make setup）会带上它，打包的应用则没有。torch 后端可以服务所有模型。</translation>
    </message>
    <message>
        <source>{model} is a LoRA adapter; merge it into its base model to serve it.</source>
        <translation>{model} 是一个 LoRA 适配器；请先把它合并到基础模型中再提供服务。</translation>
    </message>
    <message>
        <source>llama.cpp runs what the GGUF export writes (the studio&apos;s GPT and {kinds} models); {model} is a {model_type} model. The torch back-end serves it.</source>
        <translation>llama.cpp 运行 GGUF 导出所写出的模型（工作室的 GPT 以及 {kinds} 模型）；{model} 是 {model_type} 模型。可用 torch 后端为它提供服务。</translation>
    </message>
    <message>
        <source>{model} is quantized by the studio; the llama.cpp back-end serves float models only (export it as a quantized GGUF for llama.cpp itself). The torch back-end serves it.</source>
        <translation>{model} 已由工作室量化；llama.cpp 后端只服务浮点模型（如需在 llama.cpp 中运行，请将其导出为量化的 GGUF）。可用 torch 后端为它提供服务。</translation>
    </message>
    <message>
        <source>{model} is structurally pruned (layers of different widths), which llama.cpp&apos;s architectures cannot hold. The torch back-end serves it.</source>
        <translation>{model} 经过结构化剪枝（各层宽度不同），llama.cpp 的架构无法容纳。可用 torch 后端为它提供服务。</translation>
    </message>
    <message>
        <source>A user name has 1 to 64 letters, digits, &apos;.&apos;, &apos;_&apos; or &apos;-&apos;, and starts with a letter or digit.</source>
        <translation>用户名由 1 到 64 个字母、数字、“.”、“_”或“-”组成，并以字母或数字开头。</translation>
    </message>
    <message>
        <source>There is no user named {name!r} (see `studio users list`).</source>
        <translation>没有名为 {name!r} 的用户（参见 `studio users list`）。</translation>
    </message>
    <message>
        <source>There is no user with id {user_id}.</source>
        <translation>没有编号为 {user_id} 的用户。</translation>
    </message>
    <message>
        <source>seq_len must be positive.</source>
        <translation>seq_len 必须为正数。</translation>
    </message>
    <message>
        <source>Unknown optimizer {optimizer!r}; choose one of {value}.</source>
        <translation>未知的优化器 {optimizer!r}；请从 {value} 中选择。</translation>
    </message>
    <message>
        <source>Unknown schedule {schedule!r}; choose one of {value}.</source>
        <translation>未知的学习率计划 {schedule!r}；请从 {value} 中选择。</translation>
    </message>
    <message>
        <source>Unknown precision {precision!r}; choose one of {value}.</source>
        <translation>未知的精度 {precision!r}；请从 {value} 中选择。</translation>
    </message>
    <message>
        <source>The learning rate must be positive (got {lr}).</source>
        <translation>学习率必须为正数（当前为 {lr}）。</translation>
    </message>
    <message>
        <source>min_lr must be between 0 and lr.</source>
        <translation>min_lr 必须在 0 到 lr 之间。</translation>
    </message>
    <message>
        <source>warmup_steps cannot be negative.</source>
        <translation>warmup_steps 不能为负数。</translation>
    </message>
    <message>
        <source>weight_decay cannot be negative.</source>
        <translation>weight_decay 不能为负数。</translation>
    </message>
    <message>
        <source>Adam betas must be in [0, 1).</source>
        <translation>Adam 的 beta 值必须在 [0, 1) 之间。</translation>
    </message>
    <message>
        <source>momentum must be in [0, 1).</source>
        <translation>momentum 必须在 [0, 1) 之间。</translation>
    </message>
    <message>
        <source>grad_clip cannot be negative (0 turns clipping off).</source>
        <translation>grad_clip 不能为负数（0 表示不裁剪）。</translation>
    </message>
    <message>
        <source>patience cannot be negative (0 turns early stopping off).</source>
        <translation>patience 不能为负数（0 表示不提前停止）。</translation>
    </message>
    <message>
        <source>threads cannot be negative (0 = default).</source>
        <translation>threads 不能为负数（0 表示默认值）。</translation>
    </message>
    <message>
        <source>Unknown training settings: {value}.</source>
        <translation>未知的训练设置：{value}。</translation>
    </message>
    <message>
        <source>The checkpoint of step {step} is still being written by the run&apos;s worker; pause or stop the run, or wait for it to end, then try again.</source>
        <translation>第 {step} 步的检查点仍在由运行的工作进程写入；请暂停或停止该运行，或等待其结束，然后再试。</translation>
    </message>
    <message>
        <source>The vault is locked: log in (or unlock your session) to use it.</source>
        <translation>保险库已锁定：请登录（或解锁会话）后使用。</translation>
    </message>
</context>
</TS>
