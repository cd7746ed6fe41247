<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name></name>
    <message>
        <source>Run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training</source>
        <translation type="unfinished">训练</translation>
    </message>
    <message>
        <source>Options</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>default</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not a number: write it like 0.001 or 1e-3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give the run a name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Another run already has this name.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a dataset to train on (import one in the Datasets pane).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This dataset has no validation split: the run will have no validation loss, no best checkpoint and no early stopping.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A learning rate of 0 learns nothing: the weights never change. Try 1e-3 for a small model.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A sequence of {seq} tokens does not fit the model&apos;s context of {context}: lower it or raise the context length.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The training split has {have} tokens, fewer than one sequence of {seq} needs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>One batch ({n} tokens) is larger than the whole training split ({have}): every step sees the same text many times.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The validation split has {have} tokens, fewer than one sequence of {seq} needs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Early stopping watches the validation loss, and this dataset has no validation split.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The warm-up is as long as the run: the learning rate never reaches its schedule.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Longer than the run: the validation loss is measured at the last step only.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>train loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>validation loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(smoothed {value})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>at step {step}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>step {step}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{tokens} tokens</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>AuditView</name>
    <message>
        <source>Time (UTC)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Action</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Details</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ChartBoard</name>
    <message>
        <source>Log scale</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Exponential moving average; the raw points stay faint behind.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reset view</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Chart as PNG…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Chart as SVG…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Data as CSV…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>X axis</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Smoothing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select a run to see its curves.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hover over a chart to read exact values. Drag to pan, scroll to zoom.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Charts</name>
    <message>
        <source>Loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>train loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>validation loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>learning rate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Gradient norm</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>gradient norm</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tokens/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>tokens/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Step</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tokens seen</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wall time (s)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CheckpointsView</name>
    <message>
        <source>Checkpoint</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Step</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Val loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Train loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Written (UTC)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Generate from it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resume from it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fine-tune from it…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save as model…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>best</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>latest ({slot})</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CompareView</name>
    <message>
        <source>Only settings that differ</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select two or more runs in the table (Ctrl+click) to compare them.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>KeyValueTree</name>
    <message>
        <source>Setting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Value</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LogView</name>
    <message>
        <source>The run&apos;s output appears here as the worker writes it.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>NewRunDialog</name>
    <message>
        <source>New training run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} ({tokens} tokens)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Random weights (train from scratch)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fine-tune {name} v{version}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>custom</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dataset</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start from</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model preset</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Advanced settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Parameters: &lt;b&gt;{n}&lt;/b&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Estimating memory and time per step…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Memory: &lt;b&gt;{total}&lt;/b&gt; (weights {w}, gradients {g}, optimizer {o}, activations {a})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>of {have} on {device}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Time per step: &lt;b&gt;{t}&lt;/b&gt; ({how}); the run: about {total}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This does not fit in the device&apos;s memory: lower the batch size or the model size.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No estimate: {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model&apos;s shape comes from {name} v{version}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fine-tuning keeps the checkpoint&apos;s model shape.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fine-tune from a checkpoint of {name}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The run did not start: {error}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RunDetails</name>
    <message>
        <source>Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checkpoints</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>System</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Audit</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Runs</name>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dataset</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Step / total</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Best val loss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tokens/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ETA</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Started</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Duration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Owner</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Group</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tags</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>queued</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>paused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>completed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>stopped</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>diverged</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>interrupted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All runs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Live (queued, running, paused)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Finished</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failed, diverged, interrupted</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RunsTable</name>
    <message>
        <source>Search runs, datasets, tags, owners</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show one group (folder) of runs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show runs with this tag</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All groups</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All tags</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TrainingPane</name>
    <message>
        <source>Training</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>Start training runs of GPT models in a background process, watch their loss curves live, pause, resume and stop them, compare runs, and generate text from any checkpoint.</source>
        <translation>在后台进程中训练 GPT 模型，实时查看损失曲线，暂停、继续和停止训练，比较多次运行，并从任意检查点生成文本。</translation>
    </message>
</context>
</TS>
