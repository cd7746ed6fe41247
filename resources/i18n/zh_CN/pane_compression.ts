<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>CompressionPane</name>
    <message>
        <source>Compression</source>
        <translation>压缩</translation>
    </message>
    <message>
        <source>Prune and quantize a model, and compare the size, speed and perplexity of every variant side by side.</source>
        <translation>对模型进行剪枝和量化，并并排比较每个变体的大小、速度和困惑度。</translation>
    </message>
</context>
</TS>
