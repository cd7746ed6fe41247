<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>DatasetsPane</name>
    <message>
        <source>Datasets</source>
        <translation>数据集</translation>
    </message>
    <message>
        <source>Import text corpora (text, JSON Lines, CSV, Parquet, folders), clean and tokenize them, split them into train, validation and test, and inspect their statistics and token lengths.</source>
        <translation>导入文本语料（纯文本、JSON Lines、CSV、Parquet、文件夹），清洗并分词，划分为训练集、验证集和测试集，并查看其统计信息和词元长度。</translation>
    </message>
</context>
</TS>
