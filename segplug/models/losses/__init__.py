from .border_weighted_ce_loss import (BorderWeightedCrossEntropyLoss,
                                      unet_weight_map)

__all__ = ['BorderWeightedCrossEntropyLoss', 'unet_weight_map']
