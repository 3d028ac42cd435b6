"""Encoders (image backbones: ResNet, ViT, a small CPU CNN) and projection/prediction heads."""
