<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
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
