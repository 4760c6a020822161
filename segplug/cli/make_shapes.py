"""Write the synthetic shapes data set (VOC layout + COCO instances json)."""
import argparse

from segplug.data_preparation import generate_shapes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--out', default='data/shapes', help='output folder')
    parser.add_argument('--num-train', type=int, default=2000)
    parser.add_argument('--num-val', type=int, default=200)
    parser.add_argument('--size', type=int, default=128, help='image side')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    splits = generate_shapes(args.out, args.num_train, args.num_val, args.size,
                             args.seed)
    print(f'shapes data in {args.out}: {len(splits["train"])} train, '
          f'{len(splits["val"])} val images')


if __name__ == '__main__':
    main()
